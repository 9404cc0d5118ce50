// connectUnix / listenUnix / recvFd / setWinsize / closeFd. Paths longer than sun_path are
// reached through /proc/self/fd/<dirfd>/<name>, the same trick conmon uses for its sockets.
#include "unix_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "args.h"

namespace tandem {

namespace {

std::string ErrnoMessage(const std::string& what) { return what + ": " + strerror(errno); }

// Fills addr for path; when the path is too long opens its directory and returns that fd
// (caller closes it after bind/connect), else -1.
int FillAddr(const std::string& path, sockaddr_un* addr, std::string* err) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.size() < sizeof addr->sun_path) {
    memcpy(addr->sun_path, path.c_str(), path.size() + 1);
    return -1;
  }
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    *err = "socket path too long";
    return -2;
  }
  std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  std::string base = path.substr(slash + 1);
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    *err = ErrnoMessage("open " + dir);
    return -2;
  }
  std::string shortPath = "/proc/self/fd/" + std::to_string(dfd) + "/" + base;
  if (shortPath.size() >= sizeof addr->sun_path) {
    close(dfd);
    *err = "socket name too long";
    return -2;
  }
  memcpy(addr->sun_path, shortPath.c_str(), shortPath.size() + 1);
  return dfd;
}

using tandem::FdArg;

std::string PathArg(const Napi::CallbackInfo& info, size_t i, const char* usage) {
  std::string p = tandem::StringArg(info, i, usage);
  if (p.empty()) throw Napi::TypeError::New(info.Env(), usage);
  return p;
}

// connectUnix(path, seqpacket) -> fd (non-blocking, close-on-exec)
Napi::Value ConnectUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "connectUnix(path: string, seqpacket: boolean)";
  std::string path = PathArg(info, 0, usage);
  if (info.Length() < 2 || !info[1].IsBoolean()) throw Napi::TypeError::New(env, usage);
  int type = info[1].As<Napi::Boolean>().Value() ? SOCK_SEQPACKET : SOCK_STREAM;
  sockaddr_un addr;
  std::string err;
  int dfd = FillAddr(path, &addr, &err);
  if (dfd == -2) throw Napi::Error::New(env, err);
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (dfd >= 0) close(dfd);
    throw Napi::Error::New(env, ErrnoMessage("socket"));
  }
  int rc;
  do {
    rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc < 0 && errno == EINTR);
  int saved = errno;
  if (dfd >= 0) close(dfd);
  if (rc < 0) {
    close(fd);
    errno = saved;
    Napi::Error e = Napi::Error::New(env, ErrnoMessage("connect " + path));
    e.Set("errno", Napi::Number::New(env, saved));
    throw e;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return Napi::Number::New(env, fd);
}

// listenUnix(path) -> listening fd; the path must not exist yet.
Napi::Value ListenUnix(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathArg(info, 0, "listenUnix(path: string)");
  sockaddr_un addr;
  std::string err;
  int dfd = FillAddr(path, &addr, &err);
  if (dfd == -2) throw Napi::Error::New(env, err);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (dfd >= 0) close(dfd);
    throw Napi::Error::New(env, ErrnoMessage("socket"));
  }
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc == 0) rc = listen(fd, 4);
  int saved = errno;
  if (dfd >= 0) close(dfd);
  if (rc < 0) {
    close(fd);
    errno = saved;
    throw Napi::Error::New(env, ErrnoMessage("bind/listen " + path));
  }
  return Napi::Number::New(env, fd);
}

// Accepts one connection on a listening socket and receives one fd passed with SCM_RIGHTS
// (crun --console-socket sends the PTY master this way). Runs off the main thread.
class RecvFdWorker : public Napi::AsyncWorker {
 public:
  RecvFdWorker(Napi::Env env, int listenFd, int timeoutMs)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), listenFd_(listenFd),
        timeoutMs_(timeoutMs) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    pollfd p{listenFd_, POLLIN, 0};
    int rc;
    do {
      rc = poll(&p, 1, timeoutMs_);
    } while (rc < 0 && errno == EINTR);
    if (rc == 0) return SetError("timed out waiting for a connection on the console socket");
    if (rc < 0) return SetError(ErrnoMessage("poll"));
    int conn = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) return SetError(ErrnoMessage("accept"));
    pollfd pc{conn, POLLIN, 0};
    do {
      rc = poll(&pc, 1, timeoutMs_);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) {
      close(conn);
      return SetError(rc == 0 ? "timed out waiting for the console fd" : ErrnoMessage("poll"));
    }
    char data[256];
    iovec iov{data, sizeof data};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
      n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    int saved = errno;
    close(conn);
    if (n < 0) {
      errno = saved;
      return SetError(ErrnoMessage("recvmsg"));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int fds[4];
        memcpy(fds, CMSG_DATA(c), count * sizeof(int));
        for (size_t i = 1; i < count; i++) close(fds[i]);
        if (count > 0) {
          fd_ = fds[0];
          return;
        }
      }
    }
    SetError("peer sent no file descriptor");
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), fd_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int listenFd_;
  int timeoutMs_;
  int fd_ = -1;
};

// recvFd(listenFd, timeoutMs) -> Promise<fd>
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "recvFd(listenFd: number, timeoutMs: number)";
  int fd = FdArg(info, 0, usage);
  if (info.Length() < 2 || !info[1].IsNumber()) throw Napi::TypeError::New(env, usage);
  int64_t t = info[1].As<Napi::Number>().Int64Value();
  if (t < 0 || t > 3600 * 1000) throw Napi::RangeError::New(env, "timeoutMs must be in 0..3600000");
  int sotype = 0;
  socklen_t len = sizeof sotype;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &sotype, &len) != 0) {
    throw Napi::Error::New(env, ErrnoMessage("listenFd is not a socket"));
  }
  auto* w = new RecvFdWorker(env, fd, static_cast<int>(t));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// setWinsize(fd, rows, cols): TIOCSWINSZ on a pty master.
void SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "setWinsize(fd: number, rows: number, cols: number)";
  int fd = FdArg(info, 0, usage);
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) throw Napi::TypeError::New(env, usage);
  int64_t rows = info[1].As<Napi::Number>().Int64Value();
  int64_t cols = info[2].As<Napi::Number>().Int64Value();
  if (rows < 1 || rows > 65535 || cols < 1 || cols > 65535) {
    throw Napi::RangeError::New(env, "rows and cols must be in 1..65535");
  }
  winsize ws{};
  ws.ws_row = static_cast<unsigned short>(rows);
  ws.ws_col = static_cast<unsigned short>(cols);
  if (ioctl(fd, TIOCSWINSZ, &ws) != 0) throw Napi::Error::New(env, ErrnoMessage("TIOCSWINSZ"));
}

// socketPair(seqpacket) -> [fd, fd]: both ends non-blocking; used by tests and by callers that
// hand one end to a child process.
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) throw Napi::TypeError::New(env, "socketPair(seqpacket: boolean)");
  int type = info[0].As<Napi::Boolean>().Value() ? SOCK_SEQPACKET : SOCK_STREAM;
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) {
    throw Napi::Error::New(env, ErrnoMessage("socketpair"));
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, sv[0]));
  out.Set(1u, Napi::Number::New(env, sv[1]));
  return out;
}

// sendFd(path, fd): connects to a SOCK_STREAM unix socket and passes fd with SCM_RIGHTS, the way
// crun's --console-socket client does. Blocking, but a local connect+sendmsg is immediate.
void SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "sendFd(path: string, fd: number)";
  std::string path = PathArg(info, 0, usage);
  int passFd = FdArg(info, 1, usage);
  sockaddr_un addr;
  std::string err;
  int dfd = FillAddr(path, &addr, &err);
  if (dfd == -2) throw Napi::Error::New(env, err);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    if (dfd >= 0) close(dfd);
    throw Napi::Error::New(env, ErrnoMessage("socket"));
  }
  int rc = connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int saved = errno;
  if (dfd >= 0) close(dfd);
  if (rc != 0) {
    close(s);
    errno = saved;
    throw Napi::Error::New(env, ErrnoMessage("connect " + path));
  }
  char byte = 'F';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &passFd, sizeof(int));
  ssize_t n = sendmsg(s, &msg, MSG_NOSIGNAL);
  saved = errno;
  close(s);
  if (n < 0) {
    errno = saved;
    throw Napi::Error::New(env, ErrnoMessage("sendmsg"));
  }
}

// makeWhiteout(path): an overlayfs whiteout (char device 0:0) for image layers.
void MakeWhiteout(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, 0, "makeWhiteout(path: string)");
  if (mknod(path.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0) {
    throw Napi::Error::New(info.Env(), ErrnoMessage("mknod " + path));
  }
}

// lsetxattr(path, name, value): e.g. trusted.overlay.opaque=y on an opaque layer directory.
void LSetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "lsetxattr(path: string, name: string, value: string)";
  std::string path = PathArg(info, 0, usage);
  std::string name = PathArg(info, 1, usage);
  if (info.Length() < 3 || !info[2].IsString()) throw Napi::TypeError::New(env, usage);
  std::string value = info[2].As<Napi::String>().Utf8Value();
  if (lsetxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) != 0) {
    throw Napi::Error::New(env, ErrnoMessage("lsetxattr " + name + " on " + path));
  }
}

// lgetxattr(path, name) -> string | null
Napi::Value LGetXattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "lgetxattr(path: string, name: string)";
  std::string path = PathArg(info, 0, usage);
  std::string name = PathArg(info, 1, usage);
  char buf[4096];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  if (n < 0) {
    if (errno == ENODATA) return env.Null();
    throw Napi::Error::New(env, ErrnoMessage("lgetxattr " + name + " on " + path));
  }
  return Napi::String::New(env, buf, static_cast<size_t>(n));
}

void CloseFd(const Napi::CallbackInfo& info) {
  int fd = FdArg(info, 0, "closeFd(fd: number)");
  if (close(fd) != 0 && errno != EINTR) throw Napi::Error::New(info.Env(), ErrnoMessage("close"));
}

}  // namespace

void InitUnixFd(Napi::Env env, Napi::Object exports) {
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix, "connectUnix"));
  exports.Set("listenUnix", Napi::Function::New(env, ListenUnix, "listenUnix"));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd, "recvFd"));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize, "setWinsize"));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair, "socketPair"));
  exports.Set("sendFd", Napi::Function::New(env, SendFd, "sendFd"));
  exports.Set("makeWhiteout", Napi::Function::New(env, MakeWhiteout, "makeWhiteout"));
  exports.Set("lsetxattr", Napi::Function::New(env, LSetXattr, "lsetxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, LGetXattr, "lgetxattr"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
}

}  // namespace tandem
