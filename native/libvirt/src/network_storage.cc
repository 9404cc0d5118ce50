// Networks, storage pools and volumes, addressed by name (pool + volume name for volumes). They
// are rarely touched, so each call looks its object up inside the worker and frees it there.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

namespace tlv {

namespace {
struct NameUuid {
  std::string name, uuid;
};

Napi::Object NameUuidObj(Napi::Env env, const NameUuid& n) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", n.name);
  o.Set("uuid", n.uuid);
  return o;
}

Napi::Value StringResult(Napi::Env env, virConnectPtr c, std::function<char*(LvErr&, bool*)> fn) {
  auto out = std::make_shared<std::string>();
  return RunAsync(
      env,
      [fn, out](LvErr& e) {
        bool failed = false;
        char* s = fn(e, &failed);
        if (failed) return false;
        *out = s ? s : "";
        free(s);
        return true;
      },
      [out](Napi::Env env) { return Napi::String::New(env, *out); }, {HoldConn(c)});
}

Napi::Value VoidResult(Napi::Env env, virConnectPtr c, std::function<bool(LvErr&)> fn) {
  return RunAsync(env, fn, nullptr, {HoldConn(c)});
}
}  // namespace

// ---------------------------------------------------------------- networks

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

// networkOp(name, op): 0 create (start), 1 destroy (stop), 2 undefine, 3 autostart on, 4 autostart off
Napi::Value Connection::NetworkOp(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  uint32_t op = ArgUint(info, 1, "op");
  if (op > 4) throw Napi::TypeError::New(info.Env(), "op must be 0..4");
  virConnectPtr c = Check(info.Env());
  return VoidResult(info.Env(), c, [c, name, op](LvErr& e) {
    virNetworkPtr n = virNetworkLookupByName(c, name.c_str());
    if (n == nullptr) return e.Capture();
    int r = -1;
    switch (op) {
      case 0: r = virNetworkCreate(n); break;
      case 1: r = virNetworkDestroy(n); break;
      case 2: r = virNetworkUndefine(n); break;
      case 3: r = virNetworkSetAutostart(n, 1); break;
      case 4: r = virNetworkSetAutostart(n, 0); break;
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

// ---------------------------------------------------------------- storage pools

Napi::Value Connection::ListStoragePools(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  virConnectPtr c = Check(info.Env());
  struct Pool {
    std::string name, uuid;
    bool active, persistent, autostart;
    virStoragePoolInfo pi{};
    bool hasInfo = false;
  };
  auto out = std::make_shared<std::vector<Pool>>();
  return RunAsync(
      info.Env(),
      [c, flags, out](LvErr& e) {
        virStoragePoolPtr* pools = nullptr;
        int n = virConnectListAllStoragePools(c, &pools, flags);
        if (n < 0) return e.Capture();
        for (int i = 0; i < n; i++) {
          Pool x;
          const char* nm = virStoragePoolGetName(pools[i]);
          x.name = nm ? nm : "";
          char uuid[VIR_UUID_STRING_BUFLEN];
          if (virStoragePoolGetUUIDString(pools[i], uuid) == 0) x.uuid = uuid;
          x.active = virStoragePoolIsActive(pools[i]) == 1;
          x.persistent = virStoragePoolIsPersistent(pools[i]) == 1;
          int as = 0;
          x.autostart = virStoragePoolGetAutostart(pools[i], &as) == 0 && as == 1;
          x.hasInfo = virStoragePoolGetInfo(pools[i], &x.pi) == 0;
          virResetLastError();
          virStoragePoolFree(pools[i]);
          out->push_back(std::move(x));
        }
        free(pools);
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
          o.Set("state", x.hasInfo ? static_cast<double>(x.pi.state) : -1);
          o.Set("capacity", static_cast<double>(x.pi.capacity));
          o.Set("allocation", static_cast<double>(x.pi.allocation));
          o.Set("available", static_cast<double>(x.pi.available));
          a.Set(i, o);
        }
        return a;
      },
      {HoldConn(c)});
}

namespace {
Napi::Value PoolFromXml(Napi::Env env, virConnectPtr c, std::string xml, unsigned int flags, bool define) {
  auto out = std::make_shared<NameUuid>();
  return RunAsync(
      env,
      [c, xml, flags, define, out](LvErr& e) {
        virStoragePoolPtr p =
            define ? virStoragePoolDefineXML(c, xml.c_str(), flags) : virStoragePoolCreateXML(c, xml.c_str(), flags);
        if (p == nullptr) return e.Capture();
        out->name = virStoragePoolGetName(p);
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virStoragePoolGetUUIDString(p, uuid) == 0) out->uuid = uuid;
        virStoragePoolFree(p);
        return true;
      },
      [out](Napi::Env env) { return NameUuidObj(env, *out); }, {HoldConn(c)});
}
}  // namespace

Napi::Value Connection::StoragePoolDefineXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return PoolFromXml(info.Env(), Check(info.Env()), xml, flags, true);
}

Napi::Value Connection::StoragePoolCreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return PoolFromXml(info.Env(), Check(info.Env()), xml, flags, false);
}

// storagePoolOp(name, op, flags): 0 create (start), 1 build, 2 destroy (stop), 3 undefine,
// 4 refresh, 5 delete (remove the pool's storage), 6 autostart on, 7 autostart off
Napi::Value Connection::StoragePoolOp(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  uint32_t op = ArgUint(info, 1, "op");
  unsigned int flags = ArgFlags(info, 2);
  if (op > 7) throw Napi::TypeError::New(info.Env(), "op must be 0..7");
  virConnectPtr c = Check(info.Env());
  return VoidResult(info.Env(), c, [c, name, op, flags](LvErr& e) {
    virStoragePoolPtr p = virStoragePoolLookupByName(c, name.c_str());
    if (p == nullptr) return e.Capture();
    int r = -1;
    switch (op) {
      case 0: r = virStoragePoolCreate(p, flags); break;
      case 1: r = virStoragePoolBuild(p, flags); break;
      case 2: r = virStoragePoolDestroy(p); break;
      case 3: r = virStoragePoolUndefine(p); break;
      case 4: r = virStoragePoolRefresh(p, flags); break;
      case 5: r = virStoragePoolDelete(p, flags); break;
      case 6: r = virStoragePoolSetAutostart(p, 1); break;
      case 7: r = virStoragePoolSetAutostart(p, 0); break;
    }
    if (r < 0) e.Capture();
    virStoragePoolFree(p);
    return r >= 0;
  });
}

Napi::Value Connection::StoragePoolGetXMLDesc(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  unsigned int flags = ArgFlags(info, 1);
  virConnectPtr c = Check(info.Env());
  return StringResult(info.Env(), c, [c, name, flags](LvErr& e, bool* failed) -> char* {
    virStoragePoolPtr p = virStoragePoolLookupByName(c, name.c_str());
    if (p == nullptr) {
      *failed = true;
      e.Capture();
      return nullptr;
    }
    char* x = virStoragePoolGetXMLDesc(p, flags);
    if (x == nullptr) {
      *failed = true;
      e.Capture();
    }
    virStoragePoolFree(p);
    return x;
  });
}

// ---------------------------------------------------------------- volumes

namespace {
struct VolInfo {
  std::string name, key, path;
  virStorageVolInfo vi{};
  bool hasInfo = false;
};

void FillVol(virStorageVolPtr v, VolInfo* x) {
  const char* nm = virStorageVolGetName(v);
  x->name = nm ? nm : "";
  const char* key = virStorageVolGetKey(v);
  x->key = key ? key : "";
  char* path = virStorageVolGetPath(v);
  if (path) {
    x->path = path;
    free(path);
  }
  x->hasInfo = virStorageVolGetInfo(v, &x->vi) == 0;
  virResetLastError();
}

Napi::Object VolObj(Napi::Env env, const VolInfo& x) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", x.name);
  o.Set("key", x.key);
  o.Set("path", x.path);
  o.Set("type", x.hasInfo ? static_cast<double>(x.vi.type) : -1);
  o.Set("capacity", static_cast<double>(x.vi.capacity));
  o.Set("allocation", static_cast<double>(x.vi.allocation));
  return o;
}

// Looks up pool + volume; on failure captures the error and returns nullptr.
virStorageVolPtr LookupVol(virConnectPtr c, const std::string& pool, const std::string& name, LvErr& e) {
  virStoragePoolPtr p = virStoragePoolLookupByName(c, pool.c_str());
  if (p == nullptr) {
    e.Capture();
    return nullptr;
  }
  virStorageVolPtr v = virStorageVolLookupByName(p, name.c_str());
  if (v == nullptr) e.Capture();
  virStoragePoolFree(p);
  return v;
}
}  // namespace

Napi::Value Connection::ListStorageVolumes(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  virConnectPtr c = Check(info.Env());
  auto out = std::make_shared<std::vector<VolInfo>>();
  return RunAsync(
      info.Env(),
      [c, pool, out](LvErr& e) {
        virStoragePoolPtr p = virStoragePoolLookupByName(c, pool.c_str());
        if (p == nullptr) return e.Capture();
        virStorageVolPtr* vols = nullptr;
        int n = virStoragePoolListAllVolumes(p, &vols, 0);
        if (n < 0) {
          e.Capture();
          virStoragePoolFree(p);
          return false;
        }
        for (int i = 0; i < n; i++) {
          VolInfo x;
          FillVol(vols[i], &x);
          virStorageVolFree(vols[i]);
          out->push_back(std::move(x));
        }
        free(vols);
        virStoragePoolFree(p);
        return true;
      },
      [out](Napi::Env env) {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) a.Set(i, VolObj(env, (*out)[i]));
        return a;
      },
      {HoldConn(c)});
}

Napi::Value Connection::StorageVolCreateXML(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string xml = ArgString(info, 1, "xml");
  unsigned int flags = ArgFlags(info, 2);
  virConnectPtr c = Check(info.Env());
  auto out = std::make_shared<VolInfo>();
  return RunAsync(
      info.Env(),
      [c, pool, xml, flags, out](LvErr& e) {
        virStoragePoolPtr p = virStoragePoolLookupByName(c, pool.c_str());
        if (p == nullptr) return e.Capture();
        virStorageVolPtr v = virStorageVolCreateXML(p, xml.c_str(), flags);
        if (v == nullptr) {
          e.Capture();
          virStoragePoolFree(p);
          return false;
        }
        FillVol(v, out.get());
        virStorageVolFree(v);
        virStoragePoolFree(p);
        return true;
      },
      [out](Napi::Env env) { return VolObj(env, *out); }, {HoldConn(c)});
}

Napi::Value Connection::StorageVolDelete(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  unsigned int flags = ArgFlags(info, 2);
  virConnectPtr c = Check(info.Env());
  return VoidResult(info.Env(), c, [c, pool, name, flags](LvErr& e) {
    virStorageVolPtr v = LookupVol(c, pool, name, e);
    if (v == nullptr) return false;
    int r = virStorageVolDelete(v, flags);
    if (r < 0) e.Capture();
    virStorageVolFree(v);
    return r == 0;
  });
}

Napi::Value Connection::StorageVolGetXMLDesc(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  virConnectPtr c = Check(info.Env());
  return StringResult(info.Env(), c, [c, pool, name](LvErr& e, bool* failed) -> char* {
    virStorageVolPtr v = LookupVol(c, pool, name, e);
    if (v == nullptr) {
      *failed = true;
      return nullptr;
    }
    char* x = virStorageVolGetXMLDesc(v, 0);
    if (x == nullptr) {
      *failed = true;
      e.Capture();
    }
    virStorageVolFree(v);
    return x;
  });
}

namespace {
int ReadFd(virStreamPtr, char* data, size_t nbytes, void* opaque) {
  int fd = *static_cast<int*>(opaque);
  ssize_t n;
  do {
    n = read(fd, data, nbytes);
  } while (n < 0 && errno == EINTR);
  return static_cast<int>(n);
}
}  // namespace

// storageVolUpload(pool, name, filePath) → bytes sent. A blocking stream on the worker thread.
Napi::Value Connection::StorageVolUpload(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  std::string file = ArgString(info, 2, "filePath");
  virConnectPtr c = Check(info.Env());
  auto sent = std::make_shared<double>(0);
  return RunAsync(
      info.Env(),
      [c, pool, name, file, sent](LvErr& e) {
        int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return e.Custom("cannot open '" + file + "': " + strerror(errno));
        struct stat sb;
        if (fstat(fd, &sb) < 0) {
          close(fd);
          return e.Custom("cannot stat '" + file + "': " + strerror(errno));
        }
        virStorageVolPtr v = LookupVol(c, pool, name, e);
        if (v == nullptr) {
          close(fd);
          return false;
        }
        virStreamPtr st = virStreamNew(c, 0);
        bool ok = st != nullptr && virStorageVolUpload(v, st, 0, sb.st_size, 0) == 0 &&
                  virStreamSendAll(st, ReadFd, &fd) == 0 && virStreamFinish(st) == 0;
        if (!ok) {
          e.Capture();
          if (st) virStreamAbort(st);
        }
        if (st) virStreamFree(st);
        virStorageVolFree(v);
        close(fd);
        if (ok) *sent = static_cast<double>(sb.st_size);
        return ok;
      },
      [sent](Napi::Env env) { return Napi::Number::New(env, *sent); }, {HoldConn(c)});
}

}  // namespace tlv
