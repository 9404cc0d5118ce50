// Domain snapshots: create, list (names, or names with XML and the current flag in one round),
// XML, revert, delete, current. Snapshots are addressed by name and looked up inside the worker.
#include "common.h"

namespace tlv {

Napi::Value Domain::SnapshotCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  auto out = std::make_shared<std::string>();
  return RunAsync(
      info.Env(),
      [d, xml, flags, out](LvErr& e) {
        virDomainSnapshotPtr s = virDomainSnapshotCreateXML(d, xml.c_str(), flags);
        if (s == nullptr) return e.Capture();
        const char* n = virDomainSnapshotGetName(s);
        *out = n ? n : "";
        virDomainSnapshotFree(s);
        return true;
      },
      [out](Napi::Env env) { return Napi::String::New(env, *out); }, std::move(rel));
}

Napi::Value Domain::ListSnapshots(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  auto out = std::make_shared<std::vector<std::string>>();
  return RunAsync(
      info.Env(),
      [d, flags, out](LvErr& e) {
        virDomainSnapshotPtr* snaps = nullptr;
        int n = virDomainListAllSnapshots(d, &snaps, flags);
        if (n < 0) return e.Capture();
        for (int i = 0; i < n; i++) {
          const char* nm = virDomainSnapshotGetName(snaps[i]);
          out->push_back(nm ? nm : "");
          virDomainSnapshotFree(snaps[i]);
        }
        free(snaps);
        return true;
      },
      [out](Napi::Env env) {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) a.Set(i, (*out)[i]);
        return a;
      },
      std::move(rel));
}

namespace {
enum class SnapResult { Void, String, Bool };

// Looks a snapshot up by name and runs `fn` on it; `out` collects an optional string result
// (for Bool, fn's return value 1/0 becomes true/false).
Napi::Value SnapshotCall(Napi::Env env, virDomainPtr d, std::string name,
                         std::function<int(virDomainSnapshotPtr, std::string*)> fn, std::vector<Release> rel,
                         SnapResult kind) {
  auto out = std::make_shared<std::string>();
  return RunAsync(
      env,
      [d, name, fn, out, kind](LvErr& e) {
        virDomainSnapshotPtr s = virDomainSnapshotLookupByName(d, name.c_str(), 0);
        if (s == nullptr) return e.Capture();
        int r = fn(s, out.get());
        if (r < 0) e.Capture();
        virDomainSnapshotFree(s);
        if (r >= 0 && kind == SnapResult::Bool) *out = r == 1 ? "1" : "0";
        return r >= 0;
      },
      [out, kind](Napi::Env env) -> Napi::Value {
        if (kind == SnapResult::String) return Napi::String::New(env, *out);
        if (kind == SnapResult::Bool) return Napi::Boolean::New(env, *out == "1");
        return env.Undefined();
      },
      std::move(rel));
}
}  // namespace

Napi::Value Domain::SnapshotGetXMLDesc(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return SnapshotCall(
      info.Env(), d, name,
      [flags](virDomainSnapshotPtr s, std::string* out) {
        char* x = virDomainSnapshotGetXMLDesc(s, flags);
        if (x == nullptr) return -1;
        *out = x;
        free(x);
        return 0;
      },
      std::move(rel), SnapResult::String);
}

Napi::Value Domain::RevertToSnapshot(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return SnapshotCall(
      info.Env(), d, name, [flags](virDomainSnapshotPtr s, std::string*) { return virDomainRevertToSnapshot(s, flags); },
      std::move(rel), SnapResult::Void);
}

Napi::Value Domain::DeleteSnapshot(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return SnapshotCall(
      info.Env(), d, name, [flags](virDomainSnapshotPtr s, std::string*) { return virDomainSnapshotDelete(s, flags); },
      std::move(rel), SnapResult::Void);
}

Napi::Value Domain::SnapshotIsCurrent(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return SnapshotCall(
      info.Env(), d, name, [](virDomainSnapshotPtr s, std::string*) { return virDomainSnapshotIsCurrent(s, 0); },
      std::move(rel), SnapResult::Bool);
}

// The name of the current snapshot, or null when there is none.
Napi::Value Domain::SnapshotCurrentName(const Napi::CallbackInfo& info) {
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  struct Out {
    bool has = false;
    std::string name;
  };
  auto out = std::make_shared<Out>();
  return RunAsync(
      info.Env(),
      [d, out](LvErr& e) {
        int has = virDomainHasCurrentSnapshot(d, 0);
        if (has < 0) return e.Capture();
        if (has == 0) return true;
        virDomainSnapshotPtr s = virDomainSnapshotCurrent(d, 0);
        if (s == nullptr) {
          // Deleted between the two calls: there is no current snapshot any more.
          virErrorPtr le = virGetLastError();
          if (le != nullptr && le->code == VIR_ERR_NO_DOMAIN_SNAPSHOT) {
            virResetLastError();
            return true;
          }
          return e.Capture();
        }
        const char* n = virDomainSnapshotGetName(s);
        out->has = true;
        out->name = n ? n : "";
        virDomainSnapshotFree(s);
        return true;
      },
      [out](Napi::Env env) -> Napi::Value {
        if (!out->has) return env.Null();
        return Napi::String::New(env, out->name);
      },
      std::move(rel));
}

// Every snapshot with its XML and whether it is the current one, in one worker round.
Napi::Value Domain::ListSnapshotsDetailed(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  unsigned int xmlFlags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  struct Snap {
    std::string name, xml;
    bool current = false;
  };
  auto out = std::make_shared<std::vector<Snap>>();
  return RunAsync(
      info.Env(),
      [d, flags, xmlFlags, out](LvErr& e) {
        virDomainSnapshotPtr* snaps = nullptr;
        int n = virDomainListAllSnapshots(d, &snaps, flags);
        if (n < 0) return e.Capture();
        bool ok = true;
        for (int i = 0; i < n; i++) {
          if (ok) {
            Snap x;
            const char* nm = virDomainSnapshotGetName(snaps[i]);
            x.name = nm ? nm : "";
            char* xml = virDomainSnapshotGetXMLDesc(snaps[i], xmlFlags);
            if (xml == nullptr) {
              // Deleted meanwhile: skip it; anything else fails the call.
              virErrorPtr le = virGetLastError();
              if (le == nullptr || le->code != VIR_ERR_NO_DOMAIN_SNAPSHOT) ok = e.Capture();
              virResetLastError();
            } else {
              x.xml = xml;
              free(xml);
              x.current = virDomainSnapshotIsCurrent(snaps[i], 0) == 1;
              virResetLastError();
              out->push_back(std::move(x));
            }
          }
          virDomainSnapshotFree(snaps[i]);
        }
        free(snaps);
        return ok;
      },
      [out](Napi::Env env) {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", (*out)[i].name);
          o.Set("xml", (*out)[i].xml);
          o.Set("current", (*out)[i].current);
          a.Set(i, o);
        }
        return a;
      },
      std::move(rel));
}

}  // namespace tlv
