// Storage volumes, addressed by pool name + volume name (or by path): list with info, create
// (empty or as a copy of another volume), delete, resize, XML, lookup by path, and upload from /
// download to a local file. Each call looks its pool/volume up inside the worker and frees it there.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common.h"

namespace tlv {

namespace {
struct VolInfo {
  std::string name, key, path, pool;
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
  o.Set("pool", x.pool);
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

// Runs fn on the looked-up volume and resolves with its info afterwards (for create/resize).
using VolFn = std::function<virStorageVolPtr(virStoragePoolPtr, LvErr&)>;
Napi::Value VolInPool(Napi::Env env, virConnectPtr c, std::string pool, VolFn fn) {
  auto out = std::make_shared<VolInfo>();
  return RunAsync(
      env,
      [c, pool, fn, out](LvErr& e) {
        virStoragePoolPtr p = virStoragePoolLookupByName(c, pool.c_str());
        if (p == nullptr) return e.Capture();
        virStorageVolPtr v = fn(p, e);
        virStoragePoolFree(p);
        if (v == nullptr) return false;
        FillVol(v, out.get());
        out->pool = pool;
        virStorageVolFree(v);
        return true;
      },
      [out](Napi::Env env) { return VolObj(env, *out); }, {HoldConn(c)});
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
          x.pool = pool;
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

Napi::Value Connection::StorageVolGetInfo(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  return VolInPool(info.Env(), Check(info.Env()), pool, [name](virStoragePoolPtr p, LvErr& e) {
    virStorageVolPtr v = virStorageVolLookupByName(p, name.c_str());
    if (v == nullptr) e.Capture();
    return v;
  });
}

// storageVolLookupByPath(path): which volume (and pool) a file or device path is — how a VM's
// disk <source file=...> maps back to a volume.
Napi::Value Connection::StorageVolLookupByPath(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  virConnectPtr c = Check(info.Env());
  auto out = std::make_shared<VolInfo>();
  return RunAsync(
      info.Env(),
      [c, path, out](LvErr& e) {
        virStorageVolPtr v = virStorageVolLookupByPath(c, path.c_str());
        if (v == nullptr) return e.Capture();
        FillVol(v, out.get());
        virStoragePoolPtr p = virStoragePoolLookupByVolume(v);
        if (p != nullptr) {
          const char* nm = virStoragePoolGetName(p);
          out->pool = nm ? nm : "";
          virStoragePoolFree(p);
        }
        virResetLastError();
        virStorageVolFree(v);
        return true;
      },
      [out](Napi::Env env) { return VolObj(env, *out); }, {HoldConn(c)});
}

Napi::Value Connection::StorageVolCreateXML(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string xml = ArgString(info, 1, "xml");
  unsigned int flags = ArgFlags(info, 2);
  return VolInPool(info.Env(), Check(info.Env()), pool, [xml, flags](virStoragePoolPtr p, LvErr& e) {
    virStorageVolPtr v = virStorageVolCreateXML(p, xml.c_str(), flags);
    if (v == nullptr) e.Capture();
    return v;
  });
}

// storageVolCreateXMLFrom(pool, xml, srcPool, srcName, flags): a new volume in `pool` holding a
// copy of srcPool/srcName (converted to the new volume's format; the pools may differ).
Napi::Value Connection::StorageVolCreateXMLFrom(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string xml = ArgString(info, 1, "xml");
  std::string srcPool = ArgString(info, 2, "srcPool");
  std::string srcName = ArgString(info, 3, "srcName");
  unsigned int flags = ArgFlags(info, 4);
  virConnectPtr c = Check(info.Env());
  return VolInPool(info.Env(), c, pool, [c, xml, srcPool, srcName, flags](virStoragePoolPtr p, LvErr& e) {
    virStorageVolPtr src = LookupVol(c, srcPool, srcName, e);
    if (src == nullptr) return src;
    virStorageVolPtr v = virStorageVolCreateXMLFrom(p, xml.c_str(), src, flags);
    if (v == nullptr) e.Capture();
    virStorageVolFree(src);
    return v;
  });
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

// storageVolResize(pool, name, capacityBytes, flags) → the volume's info after the resize.
// Without StorageVolResizeFlag.SHRINK libvirt refuses a smaller capacity.
Napi::Value Connection::StorageVolResize(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  auto capacity = static_cast<unsigned long long>(ArgInteger(info, 2, "capacity", 0, 9007199254740991.0));
  unsigned int flags = ArgFlags(info, 3);
  return VolInPool(info.Env(), Check(info.Env()), pool, [name, capacity, flags](virStoragePoolPtr p, LvErr& e) {
    virStorageVolPtr v = virStorageVolLookupByName(p, name.c_str());
    if (v == nullptr) {
      e.Capture();
      return v;
    }
    if (virStorageVolResize(v, capacity, flags) < 0) {
      e.Capture();
      virStorageVolFree(v);
      return static_cast<virStorageVolPtr>(nullptr);
    }
    return v;
  });
}

Napi::Value Connection::StorageVolGetXMLDesc(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  unsigned int flags = ArgFlags(info, 2);
  virConnectPtr c = Check(info.Env());
  return StringResult(info.Env(), c, [c, pool, name, flags](LvErr& e, bool* failed) -> char* {
    virStorageVolPtr v = LookupVol(c, pool, name, e);
    if (v == nullptr) {
      *failed = true;
      return nullptr;
    }
    char* x = virStorageVolGetXMLDesc(v, flags);
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

struct Sink {
  int fd;
  double total = 0;
};

int WriteFd(virStreamPtr, const char* data, size_t nbytes, void* opaque) {
  auto* sink = static_cast<Sink*>(opaque);
  size_t done = 0;
  while (done < nbytes) {
    ssize_t n = write(sink->fd, data + done, nbytes - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    done += static_cast<size_t>(n);
  }
  sink->total += static_cast<double>(nbytes);
  return static_cast<int>(nbytes);
}
}  // namespace

// storageVolUpload(pool, name, filePath) → bytes sent. The file is read here and streamed to the
// daemon (which may be remote) on a blocking stream in the worker.
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

// storageVolDownload(pool, name, filePath) → bytes received. Writes the volume's raw bytes (for a
// qcow2 volume: the qcow2 file) to filePath, created 0600 or truncated.
Napi::Value Connection::StorageVolDownload(const Napi::CallbackInfo& info) {
  std::string pool = ArgString(info, 0, "pool");
  std::string name = ArgString(info, 1, "name");
  std::string file = ArgString(info, 2, "filePath");
  virConnectPtr c = Check(info.Env());
  auto got = std::make_shared<double>(0);
  return RunAsync(
      info.Env(),
      [c, pool, name, file, got](LvErr& e) {
        virStorageVolPtr v = LookupVol(c, pool, name, e);
        if (v == nullptr) return false;
        Sink sink{open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
        if (sink.fd < 0) {
          virStorageVolFree(v);
          return e.Custom("cannot open '" + file + "': " + strerror(errno));
        }
        virStreamPtr st = virStreamNew(c, 0);
        bool ok = st != nullptr && virStorageVolDownload(v, st, 0, 0, 0) == 0 &&
                  virStreamRecvAll(st, WriteFd, &sink) == 0 && virStreamFinish(st) == 0;
        if (!ok) {
          e.Capture();
          if (st) virStreamAbort(st);
        }
        if (st) virStreamFree(st);
        virStorageVolFree(v);
        if (close(sink.fd) < 0 && ok) ok = e.Custom("cannot write '" + file + "': " + strerror(errno));
        if (ok) *got = sink.total;
        return ok;
      },
      [got](Napi::Env env) { return Napi::Number::New(env, *got); }, {HoldConn(c)});
}

}  // namespace tlv
