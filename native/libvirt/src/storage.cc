// Storage pools, addressed by name: list with info, define/create from XML, the one-call pool
// operations (start, build, stop, undefine, refresh, delete, autostart) and the pool's XML. Each
// call looks its pool up inside the worker and frees it there, like networks (network.cc).
#include "common.h"

namespace tlv {

namespace {
// One pool's identity, state and sizes, plus its XML: the TS side reads the pool type and target
// path from it, so a listing is one worker round with no call per pool.
struct PoolInfo {
  std::string name, uuid, xml;
  bool active = false, persistent = false, autostart = false;
  virStoragePoolInfo pi{};
  bool hasInfo = false;
};

// Fills x from p. Only the XML read can fail for a pool that exists; a pool undefined between
// the list and the read reports NO_STORAGE_POOL, which the caller treats as "gone".
bool FillPool(virStoragePoolPtr p, PoolInfo* x, LvErr& e) {
  const char* nm = virStoragePoolGetName(p);
  x->name = nm ? nm : "";
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virStoragePoolGetUUIDString(p, uuid) == 0) x->uuid = uuid;
  x->active = virStoragePoolIsActive(p) == 1;
  x->persistent = virStoragePoolIsPersistent(p) == 1;
  int as = 0;
  x->autostart = virStoragePoolGetAutostart(p, &as) == 0 && as == 1;
  x->hasInfo = virStoragePoolGetInfo(p, &x->pi) == 0;
  virResetLastError();
  char* xml = virStoragePoolGetXMLDesc(p, 0);
  if (xml == nullptr) return e.Capture();
  x->xml = xml;
  free(xml);
  return true;
}

Napi::Object PoolObj(Napi::Env env, const PoolInfo& x) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", x.name);
  o.Set("uuid", x.uuid);
  o.Set("active", x.active);
  o.Set("persistent", x.persistent);
  o.Set("autostart", x.autostart);
  o.Set("state", x.hasInfo ? static_cast<double>(x.pi.state) : -1);
  // Bytes as doubles: exact up to 2^53 (8 PiB), enough for any pool here.
  o.Set("capacity", static_cast<double>(x.pi.capacity));
  o.Set("allocation", static_cast<double>(x.pi.allocation));
  o.Set("available", static_cast<double>(x.pi.available));
  o.Set("xml", x.xml);
  return o;
}

Napi::Value PoolFromXml(Napi::Env env, virConnectPtr c, std::string xml, unsigned int flags, bool define) {
  auto out = std::make_shared<NameUuid>();
  return RunAsync(
      env,
      [c, xml, flags, define, out](LvErr& e) {
        virStoragePoolPtr p =
            define ? virStoragePoolDefineXML(c, xml.c_str(), flags) : virStoragePoolCreateXML(c, xml.c_str(), flags);
        if (p == nullptr) return e.Capture();
        const char* nm = virStoragePoolGetName(p);
        out->name = nm ? nm : "";
        char uuid[VIR_UUID_STRING_BUFLEN];
        if (virStoragePoolGetUUIDString(p, uuid) == 0) out->uuid = uuid;
        virStoragePoolFree(p);
        return true;
      },
      [out](Napi::Env env) { return NameUuidObj(env, *out); }, {HoldConn(c)});
}
}  // namespace

Napi::Value Connection::ListStoragePools(const Napi::CallbackInfo& info) {
  unsigned int flags = ArgFlags(info, 0);
  virConnectPtr c = Check(info.Env());
  auto out = std::make_shared<std::vector<PoolInfo>>();
  return RunAsync(
      info.Env(),
      [c, flags, out](LvErr& e) {
        virStoragePoolPtr* pools = nullptr;
        int n = virConnectListAllStoragePools(c, &pools, flags);
        if (n < 0) return e.Capture();
        bool ok = true;
        for (int i = 0; i < n; i++) {
          PoolInfo x;
          if (ok && FillPool(pools[i], &x, e)) {
            out->push_back(std::move(x));
          } else if (ok && e.code == VIR_ERR_NO_STORAGE_POOL) {
            e = LvErr();  // undefined meanwhile: simply not there any more
          } else {
            ok = false;
          }
          virStoragePoolFree(pools[i]);
        }
        free(pools);
        return ok;
      },
      [out](Napi::Env env) {
        Napi::Array a = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) a.Set(i, PoolObj(env, (*out)[i]));
        return a;
      },
      {HoldConn(c)});
}

// storagePoolGetInfo(name): the same record as one entry of listStoragePools.
Napi::Value Connection::StoragePoolGetInfo(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  virConnectPtr c = Check(info.Env());
  auto out = std::make_shared<PoolInfo>();
  return RunAsync(
      info.Env(),
      [c, name, out](LvErr& e) {
        virStoragePoolPtr p = virStoragePoolLookupByName(c, name.c_str());
        if (p == nullptr) return e.Capture();
        bool ok = FillPool(p, out.get(), e);
        virStoragePoolFree(p);
        return ok;
      },
      [out](Napi::Env env) { return PoolObj(env, *out); }, {HoldConn(c)});
}

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

// storagePoolOp(name, op, flags): op is a tlv::StoragePoolOp (ops.h).
Napi::Value Connection::StoragePoolOp(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  using Op = tlv::StoragePoolOp;  // the bare name is this method's
  uint32_t raw = ArgUint(info, 1, "op");
  if (raw > static_cast<uint32_t>(Op::kAutostartOff)) throw Napi::TypeError::New(info.Env(), "op must be 0..7");
  auto op = static_cast<Op>(raw);
  unsigned int flags = ArgFlags(info, 2);
  virConnectPtr c = Check(info.Env());
  return VoidResult(info.Env(), c, [c, name, op, flags](LvErr& e) {
    virStoragePoolPtr p = virStoragePoolLookupByName(c, name.c_str());
    if (p == nullptr) return e.Capture();
    int r = -1;
    switch (op) {
      case Op::kCreate: r = virStoragePoolCreate(p, flags); break;
      case Op::kBuild: r = virStoragePoolBuild(p, flags); break;
      case Op::kDestroy: r = virStoragePoolDestroy(p); break;
      case Op::kUndefine: r = virStoragePoolUndefine(p); break;
      case Op::kRefresh: r = virStoragePoolRefresh(p, flags); break;
      case Op::kDelete: r = virStoragePoolDelete(p, flags); break;
      case Op::kAutostartOn: r = virStoragePoolSetAutostart(p, 1); break;
      case Op::kAutostartOff: r = virStoragePoolSetAutostart(p, 0); break;
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

}  // namespace tlv
