// tandem_idmap: idmapped bind mounts for user-namespaced containers. Node has no binding for the
// new mount API (open_tree, mount_setattr, move_mount) nor a way to get a user namespace fd with
// a chosen mapping, and util-linux 2.38's X-mount.idmap is silently ignored, so these few
// syscalls live here. Everything is synchronous: each call is a handful of syscalls (the userns
// child lives for well under a millisecond).
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "args.h"

// The mount API constants, defined here because glibc 2.36's <sys/mount.h> and <linux/mount.h>
// cannot both be included and older headers lack them (values from include/uapi/linux/mount.h).
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

namespace {

struct MountAttr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

std::string ErrnoMessage(const std::string& what, int err) { return what + ": " + strerror(err); }

using tandem::FdArg;

// An absolute path.
std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* usage) {
  std::string p = tandem::StringArg(info, i, usage);
  if (p.empty() || p[0] != '/') throw Napi::TypeError::New(info.Env(), usage);
  return p;
}

// A mapping line for uid_map / gid_map: "inside outside count", all 32-bit, count ≥ 1, ranges
// that do not wrap. The kernel checks the rest (overlaps, privilege).
std::string MapArg(const Napi::CallbackInfo& info, size_t i, const char* usage) {
  if (info.Length() <= i || !info[i].IsArray()) throw Napi::TypeError::New(info.Env(), usage);
  Napi::Array arr = info[i].As<Napi::Array>();
  if (arr.Length() == 0 || arr.Length() > 340) throw Napi::RangeError::New(info.Env(), "1 to 340 map entries");
  std::string out;
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsObject()) throw Napi::TypeError::New(info.Env(), usage);
    Napi::Object o = v.As<Napi::Object>();
    uint64_t vals[3];
    const char* keys[3] = {"inside", "outside", "count"};
    for (int j = 0; j < 3; j++) {
      Napi::Value x = o.Get(keys[j]);
      if (!x.IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
      double d = x.As<Napi::Number>().DoubleValue();
      if (!tandem::IsIntegerIn(d, 0, UINT32_MAX))
        throw Napi::RangeError::New(info.Env(), "map values must be integers in 0..2^32-1");
      vals[j] = static_cast<uint64_t>(d);
    }
    if (vals[2] == 0 || vals[0] + vals[2] > 4294967296ULL || vals[1] + vals[2] > 4294967296ULL)
      throw Napi::RangeError::New(info.Env(), "a map range must be non-empty and stay within 32 bits");
    out += std::to_string(vals[0]) + " " + std::to_string(vals[1]) + " " + std::to_string(vals[2]) + "\n";
  }
  return out;
}

int WriteFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, data.data(), data.size());
  int err = n == static_cast<ssize_t>(data.size()) ? 0 : (n < 0 ? errno : EIO);
  close(fd);
  return err;
}

// userns(uidMap, gidMap) -> fd of a new user namespace with those mappings.
// A child is cloned straight into a new user namespace (raw clone: fork semantics, no atfork
// handlers, so it is safe from Node's threads: the child only reads a pipe and exits). The
// parent writes its maps, opens /proc/<pid>/ns/user, then lets it go; the fd keeps the
// namespace alive after the child is gone.
Napi::Value Userns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "userns(uidMap: {inside, outside, count}[], gidMap: {inside, outside, count}[])";
  std::string uidMap = MapArg(info, 0, usage);
  std::string gidMap = MapArg(info, 1, usage);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) throw Napi::Error::New(env, ErrnoMessage("pipe2", errno));
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  if (pid == 0) {
    // Child: wait until the parent closes its end (after it opened our namespace), then go.
    char c;
    close(pipefd[1]);
    while (read(pipefd[0], &c, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  int saved = errno;
  close(pipefd[0]);
  if (pid < 0) {
    close(pipefd[1]);
    throw Napi::Error::New(env, ErrnoMessage("clone(CLONE_NEWUSER)", saved));
  }
  std::string proc = "/proc/" + std::to_string(pid);
  std::string what;
  int err = WriteFile(proc + "/uid_map", uidMap);
  if (err) what = "write uid_map";
  if (!err) {
    err = WriteFile(proc + "/gid_map", gidMap);
    if (err) what = "write gid_map";
  }
  int nsfd = -1;
  if (!err) {
    nsfd = open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
      err = errno;
      what = "open ns/user";
    }
  }
  close(pipefd[1]);
  while (waitpid(static_cast<pid_t>(pid), nullptr, 0) < 0 && errno == EINTR) {
  }
  if (err) throw Napi::Error::New(env, ErrnoMessage(what, err));
  return Napi::Number::New(env, nsfd);
}

// idmapBind(source, target, usernsFd, readonly): a detached clone of `source` (not recursive:
// layer directories have no submounts), idmapped through the namespace, attached at `target`.
Napi::Value IdmapBind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "idmapBind(source: absolute path, target: absolute path, usernsFd: number, readonly: boolean)";
  std::string source = PathArg(info, 0, usage);
  std::string target = PathArg(info, 1, usage);
  int nsfd = FdArg(info, 2, usage);
  if (info.Length() < 4 || !info[3].IsBoolean()) throw Napi::TypeError::New(env, usage);
  bool readonly = info[3].As<Napi::Boolean>().Value();
  int fd = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  if (fd < 0) throw Napi::Error::New(env, ErrnoMessage("open_tree " + source, errno));
  MountAttr attr;
  memset(&attr, 0, sizeof attr);
  attr.attr_set = MOUNT_ATTR_IDMAP | (readonly ? MOUNT_ATTR_RDONLY : 0);
  attr.userns_fd = static_cast<uint64_t>(nsfd);
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, &attr, sizeof attr) != 0) {
    int e = errno;
    close(fd);
    throw Napi::Error::New(env, ErrnoMessage("mount_setattr(MOUNT_ATTR_IDMAP) " + source, e));
  }
  if (syscall(SYS_move_mount, fd, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    int e = errno;
    close(fd);
    throw Napi::Error::New(env, ErrnoMessage("move_mount " + target, e));
  }
  close(fd);
  return env.Undefined();
}

// detach(target): lazy unmount (umount2 MNT_DETACH); not mounted is not an error.
Napi::Value Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string target = PathArg(info, 0, "detach(target: absolute path)");
  if (umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0 && errno != EINVAL && errno != ENOENT)
    throw Napi::Error::New(env, ErrnoMessage("umount " + target, errno));
  return env.Undefined();
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  close(FdArg(info, 0, "closeFd(fd: number)"));
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("userns", Napi::Function::New(env, Userns));
  exports.Set("idmapBind", Napi::Function::New(env, IdmapBind));
  exports.Set("detach", Napi::Function::New(env, Detach));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd));
  return exports;
}

}  // namespace

NODE_API_MODULE(tandem_idmap, Init)
