// The Connection object: open/close, host queries, domain listing/lookup/define and the
// registration points for events and stats. Networks live in network.cc, storage pools in
// storage.cc, volumes in volume.cc.
#include "common.h"

namespace tlv {

Napi::Function Connection::Define(Napi::Env env) {
  return DefineClass(
      env, "Connection",
      {
          InstanceMethod("close", &Connection::Close),
          InstanceMethod("isClosed", &Connection::IsClosed),
          InstanceMethod("isAlive", &Connection::IsAlive),
          InstanceMethod("getVersion", &Connection::GetVersion),
          InstanceMethod("getLibVersion", &Connection::GetLibVersion),
          InstanceMethod("getHostname", &Connection::GetHostname),
          InstanceMethod("getURI", &Connection::GetURI),
          InstanceMethod("getCapabilities", &Connection::GetCapabilities),
          InstanceMethod("listAllDomains", &Connection::ListAllDomains),
          InstanceMethod("listAllDomainsDetailed", &Connection::ListAllDomainsDetailed),
          InstanceMethod("lookupDomainByName", &Connection::LookupDomainByName),
          InstanceMethod("lookupDomainByUUID", &Connection::LookupDomainByUUID),
          InstanceMethod("defineDomain", &Connection::DefineDomain),
          InstanceMethod("createDomainXML", &Connection::CreateDomainXML),
          InstanceMethod("getAllDomainStats", &Connection::GetAllDomainStats),
          InstanceMethod("registerDomainEvent", &Connection::RegisterDomainEvent),
          InstanceMethod("deregisterDomainEvent", &Connection::DeregisterDomainEvent),
          InstanceMethod("listNetworks", &Connection::ListNetworks),
          InstanceMethod("networkDefineXML", &Connection::NetworkDefineXML),
          InstanceMethod("networkCreateXML", &Connection::NetworkCreateXML),
          InstanceMethod("networkOp", &Connection::NetworkOp),
          InstanceMethod("networkGetXMLDesc", &Connection::NetworkGetXMLDesc),
          InstanceMethod("networkGetDHCPLeases", &Connection::NetworkGetDHCPLeases),
          InstanceMethod("networkUpdate", &Connection::NetworkUpdate),
          InstanceMethod("listStoragePools", &Connection::ListStoragePools),
          InstanceMethod("storagePoolGetInfo", &Connection::StoragePoolGetInfo),
          InstanceMethod("storagePoolDefineXML", &Connection::StoragePoolDefineXML),
          InstanceMethod("storagePoolCreateXML", &Connection::StoragePoolCreateXML),
          InstanceMethod("storagePoolOp", &Connection::StoragePoolOp),
          InstanceMethod("storagePoolGetXMLDesc", &Connection::StoragePoolGetXMLDesc),
          InstanceMethod("listStorageVolumes", &Connection::ListStorageVolumes),
          InstanceMethod("storageVolGetInfo", &Connection::StorageVolGetInfo),
          InstanceMethod("storageVolLookupByPath", &Connection::StorageVolLookupByPath),
          InstanceMethod("storageVolCreateXML", &Connection::StorageVolCreateXML),
          InstanceMethod("storageVolCreateXMLFrom", &Connection::StorageVolCreateXMLFrom),
          InstanceMethod("storageVolDelete", &Connection::StorageVolDelete),
          InstanceMethod("storageVolResize", &Connection::StorageVolResize),
          InstanceMethod("storageVolGetXMLDesc", &Connection::StorageVolGetXMLDesc),
          InstanceMethod("storageVolUpload", &Connection::StorageVolUpload),
          InstanceMethod("storageVolDownload", &Connection::StorageVolDownload),
      });
}

Connection::Connection(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connection>(info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "Connection cannot be constructed directly; use open()");
  auto* ref = info[0].As<Napi::External<ConnRef>>().Data();
  state = *ref;
}

Connection::~Connection() {}

virConnectPtr Connection::Check(Napi::Env env) {
  if (!state || state->conn == nullptr || state->closed) throw Napi::Error::New(env, "connection is closed");
  return state->conn;
}

// open(uri, readOnly, keepaliveInterval, keepaliveCount, onClose?)
Napi::Value Connection::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uri;
  bool hasUri = ArgOptString(info, 0, "uri", &uri);
  bool readOnly = info.Length() > 1 && info[1].ToBoolean().Value();
  int kaInterval = static_cast<int>(ArgNumber(info, 2, "keepaliveInterval", 5));
  unsigned int kaCount = static_cast<unsigned int>(ArgNumber(info, 3, "keepaliveCount", 5));
  auto tsfn = std::make_shared<Napi::ThreadSafeFunction>();
  bool hasClose = info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull();
  if (hasClose) *tsfn = MakeCloseTsfn(env, ArgFunction(info, 4, "onClose"));

  auto cs = std::make_shared<ConnState>();
  auto keepaliveResult = std::make_shared<int>(0);
  return RunAsync(
      env,
      [=](LvErr& e) {
        virConnectPtr c = virConnectOpenAuth(hasUri ? uri.c_str() : nullptr, virConnectAuthPtrDefault,
                                             readOnly ? VIR_CONNECT_RO : 0);
        if (c == nullptr) {
          e.Capture();
          if (hasClose) tsfn->Release();
          return false;
        }
        if (kaInterval > 0) {
          int r = virConnectSetKeepAlive(c, kaInterval, kaCount);
          if (r < 0) {
            e.Capture();
            virConnectClose(c);
            if (hasClose) tsfn->Release();
            return false;
          }
          *keepaliveResult = r;
        }
        if (hasClose) {
          bool ok = false;
          RegisterCloseCallback(c, *tsfn, e, &ok);
          if (!ok) {
            virConnectClose(c);
            return false;
          }
          cs->closeCallbackRegistered = true;
        }
        cs->conn = c;
        return true;
      },
      [=](Napi::Env env) -> Napi::Value {
        ConnRef ref = cs;
        Napi::Object obj = Data(env)->connectionCtor.New({Napi::External<ConnRef>::New(env, &ref)});
        obj.Set("keepaliveSupported", Napi::Boolean::New(env, *keepaliveResult == 0));
        return obj;
      });
}

Napi::Value Connection::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!state || state->conn == nullptr || state->closed.exchange(true)) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }
  ConnRef cs = state;
  std::vector<int> ids = cs->domainEventIds;
  cs->domainEventIds.clear();
  return RunAsync(env, [cs, ids](LvErr&) {
    // Best effort: a dead connection refuses deregistration, and closing still frees it.
    for (int id : ids) {
      if (virConnectDomainEventDeregisterAny(cs->conn, id) < 0) virResetLastError();
    }
    if (cs->closeCallbackRegistered) UnregisterCloseCallback(cs->conn);
    cs->closeCallbackRegistered = false;
    virConnectClose(cs->conn);
    virResetLastError();
    return true;
  }, nullptr);
}

Napi::Value Connection::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !state || state->closed);
}

Napi::Value Connection::IsAlive(const Napi::CallbackInfo& info) {
  if (!state || state->closed) return Napi::Boolean::New(info.Env(), false);
  int r = virConnectIsAlive(state->conn);
  if (r < 0) virResetLastError();
  return Napi::Boolean::New(info.Env(), r == 1);
}

Napi::Value Connection::GetVersion(const Napi::CallbackInfo& info) {
  virConnectPtr c = Check(info.Env());
  auto v = std::make_shared<unsigned long>(0);
  return RunAsync(
      info.Env(), [c, v](LvErr& e) { return virConnectGetVersion(c, v.get()) == 0 || e.Capture(); },
      [v](Napi::Env env) { return Napi::Number::New(env, static_cast<double>(*v)); }, {HoldConn(c)});
}

Napi::Value Connection::GetLibVersion(const Napi::CallbackInfo& info) {
  virConnectPtr c = Check(info.Env());
  auto v = std::make_shared<unsigned long>(0);
  return RunAsync(
      info.Env(), [c, v](LvErr& e) { return virConnectGetLibVersion(c, v.get()) == 0 || e.Capture(); },
      [v](Napi::Env env) { return Napi::Number::New(env, static_cast<double>(*v)); }, {HoldConn(c)});
}

namespace {
// Runs a call returning a malloc'd string and resolves with it.
Napi::Value StringCall(Napi::Env env, virConnectPtr c, std::function<char*()> fn) {
  auto out = std::make_shared<std::string>();
  return RunAsync(
      env,
      [fn, out](LvErr& e) {
        char* s = fn();
        if (s == nullptr) return e.Capture();
        *out = s;
        free(s);
        return true;
      },
      [out](Napi::Env env) { return Napi::String::New(env, *out); }, {HoldConn(c)});
}
}  // namespace

Napi::Value Connection::GetHostname(const Napi::CallbackInfo& info) {
  virConnectPtr c = Check(info.Env());
  return StringCall(info.Env(), c, [c] { return virConnectGetHostname(c); });
}

Napi::Value Connection::GetURI(const Napi::CallbackInfo& info) {
  virConnectPtr c = Check(info.Env());
  return StringCall(info.Env(), c, [c] { return virConnectGetURI(c); });
}

Napi::Value Connection::GetCapabilities(const Napi::CallbackInfo& info) {
  virConnectPtr c = Check(info.Env());
  return StringCall(info.Env(), c, [c] { return virConnectGetCapabilities(c); });
}

namespace {
struct DomList {
  std::vector<virDomainPtr> doms;
  ~DomList() {
    for (auto d : doms)
      if (d) virDomainFree(d);
  }
};
}  // namespace

Napi::Value Connection::ListAllDomains(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  virConnectPtr c = Check(info.Env());
  ConnRef cs = state;
  auto list = std::make_shared<DomList>();
  return RunAsync(
      info.Env(),
      [c, flags, list](LvErr& e) {
        virDomainPtr* doms = nullptr;
        int n = virConnectListAllDomains(c, &doms, flags);
        if (n < 0) return e.Capture();
        list->doms.assign(doms, doms + n);
        free(doms);
        return true;
      },
      [cs, list](Napi::Env env) {
        Napi::Array arr = Napi::Array::New(env, list->doms.size());
        for (size_t i = 0; i < list->doms.size(); i++) {
          arr.Set(i, Domain::New(env, list->doms[i], cs));
          list->doms[i] = nullptr;
        }
        return arr;
      },
      {HoldConn(c)});
}

namespace {
struct DomDetail {
  virDomainPtr dom = nullptr;
  std::string name, uuid, xml;
  int id = -1, state = 0, reason = 0, persistent = 0;
};
struct DomDetails {
  std::vector<DomDetail> items;
  ~DomDetails() {
    for (auto& d : items)
      if (d.dom) virDomainFree(d.dom);
  }
};
}  // namespace

// One worker that lists every domain with its state and XML: list() in the driver is one await.
Napi::Value Connection::ListAllDomainsDetailed(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  unsigned int xmlFlags = ArgFlags(info, 1);
  virConnectPtr c = Check(info.Env());
  ConnRef cs = state;
  auto out = std::make_shared<DomDetails>();
  return RunAsync(
      info.Env(),
      [c, flags, xmlFlags, out](LvErr& e) {
        virDomainPtr* doms = nullptr;
        int n = virConnectListAllDomains(c, &doms, flags);
        if (n < 0) return e.Capture();
        for (int i = 0; i < n; i++) {
          DomDetail d;
          d.dom = doms[i];
          const char* nm = virDomainGetName(d.dom);
          d.name = nm ? nm : "";
          char uuid[VIR_UUID_STRING_BUFLEN];
          if (virDomainGetUUIDString(d.dom, uuid) == 0) d.uuid = uuid;
          d.id = static_cast<int>(virDomainGetID(d.dom));
          char* xml = virDomainGetXMLDesc(d.dom, xmlFlags);
          if (xml == nullptr || virDomainGetState(d.dom, &d.state, &d.reason, 0) < 0) {
            // A domain undefined between the list and the read simply is not there any more.
            virErrorPtr err = virGetLastError();
            bool gone = err && err->code == VIR_ERR_NO_DOMAIN;
            if (!gone) {
              e.Capture();
              free(xml);
              virDomainFree(d.dom);
              for (int j = i + 1; j < n; j++) virDomainFree(doms[j]);
              free(doms);
              return false;
            }
            virResetLastError();
            free(xml);
            virDomainFree(d.dom);
            continue;
          }
          d.xml = xml;
          free(xml);
          d.persistent = virDomainIsPersistent(d.dom);
          if (d.persistent < 0) virResetLastError();
          out->items.push_back(std::move(d));
        }
        free(doms);
        return true;
      },
      [cs, out](Napi::Env env) {
        Napi::Array arr = Napi::Array::New(env, out->items.size());
        for (size_t i = 0; i < out->items.size(); i++) {
          DomDetail& d = out->items[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("domain", Domain::New(env, d.dom, cs));
          d.dom = nullptr;
          o.Set("name", d.name);
          o.Set("uuid", d.uuid);
          o.Set("id", d.id);
          o.Set("state", d.state);
          o.Set("reason", d.reason);
          o.Set("persistent", d.persistent == 1);
          o.Set("xml", d.xml);
          arr.Set(i, o);
        }
        return arr;
      },
      {HoldConn(c)});
}

namespace {
Napi::Value DomainCall(Napi::Env env, virConnectPtr c, ConnRef cs, std::function<virDomainPtr()> fn) {
  auto out = std::make_shared<virDomainPtr>(nullptr);
  return RunAsync(
      env,
      [fn, out](LvErr& e) {
        *out = fn();
        return *out != nullptr || e.Capture();
      },
      [cs, out](Napi::Env env) {
        virDomainPtr d = *out;
        *out = nullptr;
        return Domain::New(env, d, cs);
      },
      {HoldConn(c)});
}
}  // namespace

Napi::Value Connection::LookupDomainByName(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  virConnectPtr c = Check(info.Env());
  return DomainCall(info.Env(), c, state, [c, name] { return virDomainLookupByName(c, name.c_str()); });
}

Napi::Value Connection::LookupDomainByUUID(const Napi::CallbackInfo& info) {
  std::string uuid = ArgString(info, 0, "uuid");
  virConnectPtr c = Check(info.Env());
  return DomainCall(info.Env(), c, state, [c, uuid] { return virDomainLookupByUUIDString(c, uuid.c_str()); });
}

Napi::Value Connection::DefineDomain(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  virConnectPtr c = Check(info.Env());
  return DomainCall(info.Env(), c, state, [c, xml, flags] { return virDomainDefineXMLFlags(c, xml.c_str(), flags); });
}

Napi::Value Connection::CreateDomainXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  virConnectPtr c = Check(info.Env());
  return DomainCall(info.Env(), c, state, [c, xml, flags] { return virDomainCreateXML(c, xml.c_str(), flags); });
}

Napi::Value Connection::GetAllDomainStats(const Napi::CallbackInfo& info) {
  unsigned int groups = ArgFlags(info, 0);
  unsigned int flags = ArgFlags(info, 1);
  Check(info.Env());
  return GetAllDomainStatsAsync(info.Env(), state, groups, flags);
}

Napi::Value Connection::RegisterDomainEvent(const Napi::CallbackInfo& info) {
  uint32_t id = ArgUint(info, 0, "eventId");
  Napi::Function fn = ArgFunction(info, 1, "callback");
  if (id != VIR_DOMAIN_EVENT_ID_LIFECYCLE && id != VIR_DOMAIN_EVENT_ID_REBOOT)
    throw Napi::TypeError::New(info.Env(), "eventId must be LIFECYCLE (0) or REBOOT (1)");
  Check(info.Env());
  return RegisterDomainEventAsync(info.Env(), state, static_cast<int>(id), fn);
}

Napi::Value Connection::DeregisterDomainEvent(const Napi::CallbackInfo& info) {
  uint32_t id = ArgUint(info, 0, "callbackId");
  virConnectPtr c = Check(info.Env());
  auto& ids = state->domainEventIds;
  for (auto it = ids.begin(); it != ids.end(); ++it) {
    if (*it == static_cast<int>(id)) {
      ids.erase(it);
      break;
    }
  }
  return RunAsync(
      info.Env(), [c, id](LvErr& e) { return virConnectDomainEventDeregisterAny(c, static_cast<int>(id)) == 0 || e.Capture(); },
      nullptr, {HoldConn(c)});
}

}  // namespace tlv
