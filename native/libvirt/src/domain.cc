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
                         InstanceMethod("snapshotIsCurrent", &Domain::SnapshotIsCurrent),
                         InstanceMethod("snapshotCurrentName", &Domain::SnapshotCurrentName),
                         InstanceMethod("listSnapshotsDetailed", &Domain::ListSnapshotsDetailed),
                         InstanceMethod("interfaceAddresses", &Domain::InterfaceAddresses),
                         InstanceMethod("rename", &Domain::Rename),
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

Napi::Value Domain::Simple(const Napi::CallbackInfo& info, Action op) {
  unsigned int flags = ArgFlags(info, 0);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(
      info.Env(),
      [d, op, flags](LvErr& e) {
        int r = -1;
        switch (op) {
          case Action::kCreate: r = virDomainCreateWithFlags(d, flags); break;
          case Action::kShutdown: r = virDomainShutdownFlags(d, flags); break;
          case Action::kDestroy: r = virDomainDestroyFlags(d, flags); break;
          case Action::kReboot: r = virDomainReboot(d, flags); break;
          case Action::kSuspend: r = virDomainSuspend(d); break;
          case Action::kResume: r = virDomainResume(d); break;
          case Action::kUndefine: r = virDomainUndefineFlags(d, flags); break;
          case Action::kReset: r = virDomainReset(d, flags); break;
        }
        return r == 0 || e.Capture();
      },
      nullptr, std::move(rel));
}

// virDomainRename: only for an inactive domain; libvirt keeps the uuid and moves its own files.
Napi::Value Domain::Rename(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(
      info.Env(), [d, name](LvErr& e) { return virDomainRename(d, name.c_str(), 0) == 0 || e.Capture(); }, nullptr,
      std::move(rel));
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

// interfaceAddresses(source): virDomainInterfaceAddresses; source 0 = DHCP leases, 1 = guest
// agent, 2 = ARP table.
Napi::Value Domain::InterfaceAddresses(const Napi::CallbackInfo& info) {
  uint32_t source = ArgUint(info, 0, "source");
  if (source > VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP) throw Napi::TypeError::New(info.Env(), "source must be 0 (lease), 1 (agent) or 2 (arp)");
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  struct Addr {
    int type;
    std::string addr;
    unsigned int prefix;
  };
  struct Iface {
    std::string name, hwaddr;
    std::vector<Addr> addrs;
  };
  auto out = std::make_shared<std::vector<Iface>>();
  return RunAsync(
      info.Env(),
      [d, source, out](LvErr& e) {
        virDomainInterfacePtr* ifaces = nullptr;
        int n = virDomainInterfaceAddresses(d, &ifaces, source, 0);
        if (n < 0) return e.Capture();
        for (int i = 0; i < n; i++) {
          Iface x;
          x.name = ifaces[i]->name ? ifaces[i]->name : "";
          x.hwaddr = ifaces[i]->hwaddr ? ifaces[i]->hwaddr : "";
          for (unsigned int j = 0; j < ifaces[i]->naddrs; j++) {
            const virDomainIPAddress& a = ifaces[i]->addrs[j];
            x.addrs.push_back({a.type, a.addr ? a.addr : "", a.prefix});
          }
          virDomainInterfaceFree(ifaces[i]);
          out->push_back(std::move(x));
        }
        free(ifaces);
        return true;
      },
      [out](Napi::Env env) {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          const Iface& x = (*out)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", x.name);
          o.Set("hwaddr", x.hwaddr.empty() ? env.Null() : Napi::String::New(env, x.hwaddr));
          Napi::Array addrs = Napi::Array::New(env, x.addrs.size());
          for (size_t j = 0; j < x.addrs.size(); j++) {
            Napi::Object ao = Napi::Object::New(env);
            ao.Set("type", x.addrs[j].type == VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4");
            ao.Set("addr", x.addrs[j].addr);
            ao.Set("prefix", x.addrs[j].prefix);
            addrs.Set(j, ao);
          }
          o.Set("addrs", addrs);
          a.Set(i, o);
        }
        return a;
      },
      std::move(rel));
}

}  // namespace tlv
