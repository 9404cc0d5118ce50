// The tandem_beneath addon: path resolution that cannot leave a directory. Node has no openat2,
// so unpacking image layers and reading files out of a guest's root file system would otherwise
// follow symlinks the image planted (a layer's `x -> /etc/shadow` turned into a chmod of the
// host's file). Everything here resolves relative to a directory fd with
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS, and applies metadata through the
// descriptor it got (fchownat/utimensat with AT_EMPTY_PATH), never through a path again.
#include <napi.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>
#include <string>

#include "args.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace {

// Errors carry Node's conventions: .code is the errno name ("ELOOP"), .errno the number, .syscall
// what failed; the message names the relative path, which is all the caller passed in.
[[noreturn]] void ThrowErrno(Napi::Env env, int err, const char* syscall, const std::string& what) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + " " + what + ": " + strerror(err));
  const char* name = strerrorname_np(err);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  throw e;
}

using tandem::FdArg;
using tandem::U32Arg;

// A relative path: never absolute (RESOLVE_BENEATH would refuse it anyway, but a TypeError says
// it is the caller's bug), never with NUL. "" only where AT_EMPTY_PATH gives it a meaning.
std::string RelPathArg(const Napi::CallbackInfo& info, size_t i, const char* usage, bool allowEmpty) {
  std::string p = tandem::StringArg(info, i, usage);
  if ((!allowEmpty && p.empty()) || (!p.empty() && p[0] == '/')) {
    throw Napi::TypeError::New(info.Env(), usage);
  }
  return p;
}

constexpr uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// openBeneath(dirfd, relPath, flags, mode) -> fd (always O_CLOEXEC)
Napi::Value OpenBeneath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "openBeneath(dirfd: number, relPath: string, flags: number, mode: number)";
  int dirfd = FdArg(info, 0, usage);
  std::string rel = RelPathArg(info, 1, usage, false);
  uint32_t flags = U32Arg(info, 2, usage, "flags");
  uint32_t mode = U32Arg(info, 3, usage, "mode");
  if (mode > 07777) throw Napi::RangeError::New(env, "mode must be in 0..0o7777");
  open_how how;
  memset(&how, 0, sizeof how);
  how.flags = static_cast<uint64_t>(flags) | O_CLOEXEC;
  // openat2 refuses a mode without O_CREAT/O_TMPFILE.
  how.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0;
  how.resolve = kResolve;
  // EAGAIN: a rename or mount raced the walk and the kernel could not prove `..` stayed
  // beneath; openat2(2) says to retry. A few times only: a steady EAGAIN is an attack.
  long fd;
  int tries = 0;
  do {
    fd = syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN) && ++tries < 32);
  if (fd < 0) ThrowErrno(env, errno, "openat2", rel);
  return Napi::Number::New(env, static_cast<double>(fd));
}

// fchownat(dirfd, relPath, uid, gid, flags): with "" and AT_EMPTY_PATH it changes the object the
// fd itself refers to (an O_PATH fd of a symlink included).
Napi::Value Fchownat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "fchownat(dirfd: number, relPath: string, uid: number, gid: number, flags: number)";
  int dirfd = FdArg(info, 0, usage);
  std::string rel = RelPathArg(info, 1, usage, true);
  uint32_t uid = U32Arg(info, 2, usage, "uid");
  uint32_t gid = U32Arg(info, 3, usage, "gid");
  uint32_t flags = U32Arg(info, 4, usage, "flags");
  if (uid == UINT32_MAX || gid == UINT32_MAX) throw Napi::RangeError::New(env, "uid/gid -1 is not an id");
  if (rel.empty() && !(flags & AT_EMPTY_PATH)) throw Napi::TypeError::New(env, "an empty path needs AT_EMPTY_PATH");
  if (fchownat(dirfd, rel.c_str(), uid, gid, static_cast<int>(flags)) != 0) {
    ThrowErrno(env, errno, "fchownat", rel.empty() ? "<fd>" : rel);
  }
  return env.Undefined();
}

timespec ToTimespec(double seconds) {
  timespec ts;
  double whole = std::floor(seconds);
  ts.tv_sec = static_cast<time_t>(whole);
  ts.tv_nsec = static_cast<long>(std::llround((seconds - whole) * 1e9));
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

// utimensat(dirfd, relPath, atimeSeconds, mtimeSeconds, flags): times as (fractional) seconds.
Napi::Value Utimensat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "utimensat(dirfd: number, relPath: string, atime: number, mtime: number, flags: number)";
  int dirfd = FdArg(info, 0, usage);
  std::string rel = RelPathArg(info, 1, usage, true);
  if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsNumber()) throw Napi::TypeError::New(env, usage);
  double at = info[2].As<Napi::Number>().DoubleValue();
  double mt = info[3].As<Napi::Number>().DoubleValue();
  // 2^53 s is far past any file system's range; NaN and infinities are bugs.
  if (!std::isfinite(at) || !std::isfinite(mt) || std::fabs(at) > 9007199254740992.0 ||
      std::fabs(mt) > 9007199254740992.0) {
    throw Napi::RangeError::New(env, "atime and mtime must be finite seconds");
  }
  uint32_t flags = U32Arg(info, 4, usage, "flags");
  if (rel.empty() && !(flags & AT_EMPTY_PATH)) throw Napi::TypeError::New(env, "an empty path needs AT_EMPTY_PATH");
  timespec times[2] = {ToTimespec(at), ToTimespec(mt)};
  if (utimensat(dirfd, rel.c_str(), times, static_cast<int>(flags)) != 0) {
    ThrowErrno(env, errno, "utimensat", rel.empty() ? "<fd>" : rel);
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openBeneath", Napi::Function::New(env, OpenBeneath));
  exports.Set("fchownat", Napi::Function::New(env, Fchownat));
  exports.Set("utimensat", Napi::Function::New(env, Utimensat));
  Napi::Object c = Napi::Object::New(env);
  c.Set("O_PATH", Napi::Number::New(env, O_PATH));
  c.Set("O_NOFOLLOW", Napi::Number::New(env, O_NOFOLLOW));
  c.Set("O_DIRECTORY", Napi::Number::New(env, O_DIRECTORY));
  c.Set("O_NONBLOCK", Napi::Number::New(env, O_NONBLOCK));
  c.Set("O_NOCTTY", Napi::Number::New(env, O_NOCTTY));
  c.Set("AT_EMPTY_PATH", Napi::Number::New(env, AT_EMPTY_PATH));
  c.Set("AT_SYMLINK_NOFOLLOW", Napi::Number::New(env, AT_SYMLINK_NOFOLLOW));
  exports.Set("constants", c);
  return exports;
}

}  // namespace

NODE_API_MODULE(tandem_beneath, Init)
