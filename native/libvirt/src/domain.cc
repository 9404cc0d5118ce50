// The Domain handle: lifecycle calls, XML/info/state, consoles and guest addresses (snapshots:
// snapshots.cc, device hotplug: devices.cc). Each call takes its own libvirt reference for the
// worker, so free() while a call runs is safe.
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
                         InstanceMethod("attachDeviceFlags", &Domain::AttachDeviceFlags),
                         InstanceMethod("detachDeviceFlags", &Domain::DetachDeviceFlags),
                         InstanceMethod("updateDeviceFlags", &Domain::UpdateDeviceFlags),
                         InstanceMethod("detachDeviceAlias", &Domain::DetachDeviceAlias),
                         InstanceMethod("blockResize", &Domain::BlockResize),
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
