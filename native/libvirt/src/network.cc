// Networks, addressed by name. They are rarely touched, so each call looks its network up inside
// the worker and frees it there (pools and volumes do the same: storage.cc, volume.cc).
#include "common.h"

namespace tlv {

Napi::Value Connection::ListNetworks(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  virConnectPtr c = Check(info.Env());
  struct Net {
    std::string name, uuid, bridge;
    bool active, persistent, autostart;
  };
  auto out = std::make_shared<std::vector<Net>>();
  return RunAsync(
      info.Env(),
      [c, flags, out](LvErr& e) {
        virNetworkPtr* nets = nullptr;
        int n = virConnectListAllNetworks(c, &nets, flags);
        if (n < 0) return e.Capture();
        for (int i = 0; i < n; i++) {
          Net x;
          const char* nm = virNetworkGetName(nets[i]);
          x.name = nm ? nm : "";
          char uuid[VIR_UUID_STRING_BUFLEN];
          if (virNetworkGetUUIDString(nets[i], uuid) == 0) x.uuid = uuid;
          x.active = virNetworkIsActive(nets[i]) == 1;
          x.persistent = virNetworkIsPersistent(nets[i]) == 1;
          int as = 0;
          x.autostart = virNetworkGetAutostart(nets[i], &as) == 0 && as == 1;
          char* br = virNetworkGetBridgeName(nets[i]);
          if (br) {
            x.bridge = br;
            free(br);
          }
          virResetLastError();
          virNetworkFree(nets[i]);
          out->push_back(std::move(x));
        }
        free(nets);
        return true;
      },
      [out](Napi::Env env) {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          auto& x = (*out)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("name", x.name);
          o.Set("uuid", x.uuid);
          o.Set("active", x.active);
          o.Set("persistent", x.persistent);
          o.Set("autostart", x.autostart);
          o.Set("bridge", x.bridge.empty() ? env.Null() : Napi::String::New(env, x.bridge));
          a.Set(i, o);
        }
        return a;
      },
      {HoldConn(c)});
}

namespace {
Napi::Value NetworkFromXml(Napi::Env env, virConnectPtr c, std::string xml, bool define) {
  auto out = std::make_shared<NameUuid>();
  return RunAsync(
      env,
      [c, xml, define, out](LvErr& e) {
        virNetworkPtr n = define ? virNetworkDefineXML(c, xml.c_str()) : virNetworkCreateXML(c, xml.c_str());
        if (n == nullptr) return e.Capture();
        out->name = virNetworkGetName(n);
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virNetworkGetUUIDString(n, uuid) == 0) out->uuid = uuid;
        virNetworkFree(n);
        return true;
      },
      [out](Napi::Env env) { return NameUuidObj(env, *out); }, {HoldConn(c)});
}
}  // namespace

Napi::Value Connection::NetworkDefineXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  return NetworkFromXml(info.Env(), Check(info.Env()), xml, true);
}

Napi::Value Connection::NetworkCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  return NetworkFromXml(info.Env(), Check(info.Env()), xml, false);
}

// networkOp(name, op): op is a tlv::NetworkOp (ops.h) — start, stop, undefine, autostart on/off.
Napi::Value Connection::NetworkOp(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  using Op = tlv::NetworkOp;  // the bare name is this method's
  uint32_t raw = ArgUint(info, 1, "op");
  if (raw > static_cast<uint32_t>(Op::kAutostartOff)) throw Napi::TypeError::New(info.Env(), "op must be 0..4");
  auto op = static_cast<Op>(raw);
  virConnectPtr c = Check(info.Env());
  return VoidResult(info.Env(), c, [c, name, op](LvErr& e) {
    virNetworkPtr n = virNetworkLookupByName(c, name.c_str());
    if (n == nullptr) return e.Capture();
    int r = -1;
    switch (op) {
      case Op::kCreate: r = virNetworkCreate(n); break;
      case Op::kDestroy: r = virNetworkDestroy(n); break;
      case Op::kUndefine: r = virNetworkUndefine(n); break;
      case Op::kAutostartOn: r = virNetworkSetAutostart(n, 1); break;
      case Op::kAutostartOff: r = virNetworkSetAutostart(n, 0); break;
    }
    if (r < 0) e.Capture();
    virNetworkFree(n);
    return r >= 0;
  });
}

Napi::Value Connection::NetworkGetXMLDesc(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  virConnectPtr c = Check(info.Env());
  return StringResult(info.Env(), c, [c, name, flags](LvErr& e, bool* failed) -> char* {
    virNetworkPtr n = virNetworkLookupByName(c, name.c_str());
    if (n == nullptr) {
      *failed = true;
      e.Capture();
      return nullptr;
    }
    char* x = virNetworkGetXMLDesc(n, flags);
    if (x == nullptr) {
      *failed = true;
      e.Capture();
    }
    virNetworkFree(n);
    return x;
  });
}

// networkGetDHCPLeases(name, mac | null): the network's current DHCP leases (all, or one MAC's).
Napi::Value Connection::NetworkGetDHCPLeases(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  std::string mac;
  bool hasMac = ArgOptString(info, 1, "mac", &mac);
  virConnectPtr c = Check(info.Env());
  struct Lease {
    std::string iface, mac, iaid, ipaddr, hostname, clientid;
    long long expiry = 0;
    int type = 0;
    unsigned int prefix = 0;
  };
  auto out = std::make_shared<std::vector<Lease>>();
  auto s = [](const char* p) { return std::string(p ? p : ""); };
  return RunAsync(
      info.Env(),
      [c, name, hasMac, mac, out, s](LvErr& e) {
        virNetworkPtr n = virNetworkLookupByName(c, name.c_str());
        if (n == nullptr) return e.Capture();
        virNetworkDHCPLeasePtr* leases = nullptr;
        int cnt = virNetworkGetDHCPLeases(n, hasMac ? mac.c_str() : nullptr, &leases, 0);
        if (cnt < 0) {
          e.Capture();
          virNetworkFree(n);
          return false;
        }
        for (int i = 0; i < cnt; i++) {
          virNetworkDHCPLeasePtr l = leases[i];
          out->push_back({s(l->iface), s(l->mac), s(l->iaid), s(l->ipaddr), s(l->hostname), s(l->clientid),
                          static_cast<long long>(l->expirytime), l->type, l->prefix});
          virNetworkDHCPLeaseFree(l);
        }
        free(leases);
        virNetworkFree(n);
        return true;
      },
      [out](Napi::Env env) {
        auto opt = [env](const std::string& v) -> Napi::Value {
          return v.empty() ? env.Null() : Napi::String::New(env, v);
        };
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          const Lease& l = (*out)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("iface", l.iface);
          o.Set("expiryTime", static_cast<double>(l.expiry));
          o.Set("type", l.type == VIR_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4");
          o.Set("mac", opt(l.mac));
          o.Set("iaid", opt(l.iaid));
          o.Set("ipaddr", l.ipaddr);
          o.Set("prefix", l.prefix);
          o.Set("hostname", opt(l.hostname));
          o.Set("clientId", opt(l.clientid));
          a.Set(i, o);
        }
        return a;
      },
      {HoldConn(c)});
}

// networkUpdate(name, command, section, parentIndex, xml, flags): virNetworkUpdate — add, modify or
// delete one element (a DNS host, a DHCP static host, ...) of a network, live and/or in its config,
// without restarting it. parentIndex picks the <ip> for DHCP sections (-1 = the first that fits).
Napi::Value Connection::NetworkUpdate(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int command = ArgUint(info, 1, "command");
  unsigned int section = ArgUint(info, 2, "section");
  int parentIndex = static_cast<int>(ArgInteger(info, 3, "parentIndex", -1, INT32_MAX));
  std::string xml = ArgString(info, 4, "xml");
  unsigned int flags = ArgFlags(info, 5);
  virConnectPtr c = Check(info.Env());
  return VoidResult(info.Env(), c, [c, name, command, section, parentIndex, xml, flags](LvErr& e) {
    virNetworkPtr n = virNetworkLookupByName(c, name.c_str());
    if (n == nullptr) return e.Capture();
    int r = virNetworkUpdate(n, command, section, parentIndex, xml.c_str(), flags);
    if (r < 0) e.Capture();
    virNetworkFree(n);
    return r == 0;
  });
}

}  // namespace tlv
