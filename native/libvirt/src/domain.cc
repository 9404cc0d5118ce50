// The Domain handle: lifecycle calls, XML/info/state, consoles and snapshots. Each call takes
// its own libvirt reference for the worker, so free() while a call runs is safe.
#include "common.h"

namespace tlv {

namespace {
struct DomainInit {
  virDomainPtr dom;
  ConnRef cs;
};
}  // namespace

Napi::Function Domain::Define(Napi::Env env) {
  return DefineClass(env, "Domain",
                     {
                         InstanceMethod("create", &Domain::Create),
                         InstanceMethod("shutdown", &Domain::Shutdown),
                         InstanceMethod("destroy", &Domain::Destroy),
                         InstanceMethod("reboot", &Domain::Reboot),
                         InstanceMethod("reset", &Domain::Reset),
                         InstanceMethod("suspend", &Domain::Suspend),
                         InstanceMethod("resume", &Domain::Resume),
                         InstanceMethod("undefine", &Domain::Undefine),
                         InstanceMethod("getXMLDesc", &Domain::GetXMLDesc),
                         InstanceMethod("getInfo", &Domain::GetInfo),
                         InstanceMethod("getState", &Domain::GetState),
                         InstanceMethod("isActive", &Domain::IsActive),
                         InstanceMethod("isPersistent", &Domain::IsPersistent),
                         InstanceMethod("setAutostart", &Domain::SetAutostart),
                         InstanceMethod("getName", &Domain::GetName),
                         InstanceMethod("getUUIDString", &Domain::GetUUIDString),
                         InstanceMethod("getID", &Domain::GetID),
                         InstanceMethod("free", &Domain::Free),
                         InstanceMethod("isFreed", &Domain::IsFreed),
                         InstanceMethod("openConsole", &Domain::OpenConsole),
                         InstanceMethod("snapshotCreateXML", &Domain::SnapshotCreateXML),
                         InstanceMethod("listSnapshots", &Domain::ListSnapshots),
                         InstanceMethod("snapshotGetXMLDesc", &Domain::SnapshotGetXMLDesc),
                         InstanceMethod("revertToSnapshot", &Domain::RevertToSnapshot),
                         InstanceMethod("deleteSnapshot", &Domain::DeleteSnapshot),
                     });
}

Napi::Object Domain::New(Napi::Env env, virDomainPtr dom, ConnRef cs) {
  DomainInit init{dom, std::move(cs)};
  return Data(env)->domainCtor.New({Napi::External<DomainInit>::New(env, &init)});
}

Domain::Domain(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Domain>(info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "Domain cannot be constructed directly; use a Connection lookup");
  auto* init = info[0].As<Napi::External<DomainInit>>().Data();
  dom_ = init->dom;
  cs_ = init->cs;
}

Domain::~Domain() {
  if (dom_ != nullptr) virDomainFree(dom_);
  dom_ = nullptr;
}

virDomainPtr Domain::Acquire(Napi::Env env, std::vector<Release>* rel) {
  if (dom_ == nullptr) throw Napi::Error::New(env, "domain handle has been freed");
  if (!cs_ || cs_->closed) throw Napi::Error::New(env, "connection is closed");
  virDomainRef(dom_);
  virDomainPtr d = dom_;
  rel->push_back([d]() { virDomainFree(d); });
  return d;
}

Napi::Value Domain::Simple(const Napi::CallbackInfo& info, int op) {
  unsigned int flags = ArgFlags(info, 0);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(
      info.Env(),
      [d, op, flags](LvErr& e) {
        int r = -1;
        switch (op) {
          case 0: r = virDomainCreateWithFlags(d, flags); break;
          case 1: r = virDomainShutdownFlags(d, flags); break;
          case 2: r = virDomainDestroyFlags(d, flags); break;
          case 3: r = virDomainReboot(d, flags); break;
          case 4: r = virDomainSuspend(d); break;
          case 5: r = virDomainResume(d); break;
          case 6: r = virDomainUndefineFlags(d, flags); break;
          case 7: r = virDomainReset(d, flags); break;
        }
        return r == 0 || e.Capture();
      },
      nullptr, std::move(rel));
}

Napi::Value Domain::GetXMLDesc(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  auto out = std::make_shared<std::string>();
  return RunAsync(
      info.Env(),
      [d, flags, out](LvErr& e) {
        char* x = virDomainGetXMLDesc(d, flags);
        if (x == nullptr) return e.Capture();
        *out = x;
        free(x);
        return true;
      },
      [out](Napi::Env env) { return Napi::String::New(env, *out); }, std::move(rel));
}

Napi::Value Domain::GetInfo(const Napi::CallbackInfo& info) {
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  auto out = std::make_shared<virDomainInfo>();
  return RunAsync(
      info.Env(), [d, out](LvErr& e) { return virDomainGetInfo(d, out.get()) == 0 || e.Capture(); },
      [out](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("state", out->state);
        o.Set("maxMemKiB", static_cast<double>(out->maxMem));
        o.Set("memoryKiB", static_cast<double>(out->memory));
        o.Set("nrVirtCpu", out->nrVirtCpu);
        o.Set("cpuTimeNs", static_cast<double>(out->cpuTime));
        return o;
      },
      std::move(rel));
}

Napi::Value Domain::GetState(const Napi::CallbackInfo& info) {
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  auto out = std::make_shared<std::pair<int, int>>(0, 0);
  return RunAsync(
      info.Env(), [d, out](LvErr& e) { return virDomainGetState(d, &out->first, &out->second, 0) == 0 || e.Capture(); },
      [out](Napi::Env env) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("state", out->first);
        o.Set("reason", out->second);
        return o;
      },
      std::move(rel));
}

namespace {
Napi::Value BoolCall(Napi::Env env, std::function<int()> fn, std::vector<Release> rel) {
  auto out = std::make_shared<int>(0);
  return RunAsync(
      env,
      [fn, out](LvErr& e) {
        *out = fn();
        return *out >= 0 || e.Capture();
      },
      [out](Napi::Env env) { return Napi::Boolean::New(env, *out == 1); }, std::move(rel));
}
}  // namespace

Napi::Value Domain::IsActive(const Napi::CallbackInfo& info) {
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return BoolCall(info.Env(), [d] { return virDomainIsActive(d); }, std::move(rel));
}

Napi::Value Domain::IsPersistent(const Napi::CallbackInfo& info) {
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return BoolCall(info.Env(), [d] { return virDomainIsPersistent(d); }, std::move(rel));
}

Napi::Value Domain::SetAutostart(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(info.Env(), "autostart must be a boolean");
  int v = info[0].As<Napi::Boolean>().Value() ? 1 : 0;
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(info.Env(), [d, v](LvErr& e) { return virDomainSetAutostart(d, v) == 0 || e.Capture(); }, nullptr,
                  std::move(rel));
}

// Name, UUID and id are cached in the handle: no round trip, so these are synchronous.
Napi::Value Domain::GetName(const Napi::CallbackInfo& info) {
  if (dom_ == nullptr) throw Napi::Error::New(info.Env(), "domain handle has been freed");
  const char* n = virDomainGetName(dom_);
  return Napi::String::New(info.Env(), n ? n : "");
}

Napi::Value Domain::GetUUIDString(const Napi::CallbackInfo& info) {
  if (dom_ == nullptr) throw Napi::Error::New(info.Env(), "domain handle has been freed");
  char buf[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(dom_, buf) < 0) {
    LvErr e;
    e.Capture();
    throw Napi::Error(info.Env(), MakeError(info.Env(), e));
  }
  return Napi::String::New(info.Env(), buf);
}

Napi::Value Domain::GetID(const Napi::CallbackInfo& info) {
  if (dom_ == nullptr) throw Napi::Error::New(info.Env(), "domain handle has been freed");
  unsigned int id = virDomainGetID(dom_);
  return Napi::Number::New(info.Env(), id == static_cast<unsigned int>(-1) ? -1 : static_cast<double>(id));
}

Napi::Value Domain::Free(const Napi::CallbackInfo& info) {
  if (dom_ != nullptr) virDomainFree(dom_);
  dom_ = nullptr;
  return info.Env().Undefined();
}

Napi::Value Domain::IsFreed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), dom_ == nullptr); }

// openConsole(devName | null, flags, onEvent)
Napi::Value Domain::OpenConsole(const Napi::CallbackInfo& info) {
  std::string dev;
  bool hasDev = ArgOptString(info, 0, "devName", &dev);
  unsigned int flags = ArgFlags(info, 1);
  Napi::Function fn = ArgFunction(info, 2, "onEvent");
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return OpenConsoleAsync(info.Env(), d, std::move(rel), hasDev, dev, flags, fn);
}

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
// Looks a snapshot up by name and runs `fn` on it; `out` collects an optional string result.
Napi::Value SnapshotCall(Napi::Env env, virDomainPtr d, std::string name,
                         std::function<int(virDomainSnapshotPtr, std::string*)> fn, std::vector<Release> rel,
                         bool returnsString) {
  auto out = std::make_shared<std::string>();
  return RunAsync(
      env,
      [d, name, fn, out](LvErr& e) {
        virDomainSnapshotPtr s = virDomainSnapshotLookupByName(d, name.c_str(), 0);
        if (s == nullptr) return e.Capture();
        int r = fn(s, out.get());
        if (r < 0) e.Capture();
        virDomainSnapshotFree(s);
        return r >= 0;
      },
      [out, returnsString](Napi::Env env) -> Napi::Value {
        if (returnsString) return Napi::String::New(env, *out);
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
      std::move(rel), true);
}

Napi::Value Domain::RevertToSnapshot(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return SnapshotCall(
      info.Env(), d, name, [flags](virDomainSnapshotPtr s, std::string*) { return virDomainRevertToSnapshot(s, flags); },
      std::move(rel), false);
}

Napi::Value Domain::DeleteSnapshot(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return SnapshotCall(
      info.Env(), d, name, [flags](virDomainSnapshotPtr s, std::string*) { return virDomainSnapshotDelete(s, flags); },
      std::move(rel), false);
}

}  // namespace tlv
