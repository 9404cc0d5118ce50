// FdStream owns one fd from construction to close(): reads are pushed to JS as Buffers from the
// libuv poll callback (main thread, no extra threads), writes are queued and flushed when the fd
// is writable so a slow peer never blocks Node. SOCK_SEQPACKET keeps message boundaries, so
// writes are cut into messages no larger than conmon's read buffer.
#include "fd_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tandem {

namespace {
constexpr size_t kReadBuf = 64 * 1024;
constexpr int kMaxReadsPerWake = 64;
}  // namespace

void FdStream::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "FdStream",
                                    {
                                        InstanceMethod("write", &FdStream::Write),
                                        InstanceMethod("pending", &FdStream::Pending),
                                        InstanceMethod("pause", &FdStream::Pause),
                                        InstanceMethod("resume", &FdStream::Resume),
                                        InstanceMethod("close", &FdStream::Close),
                                    });
  exports.Set("FdStream", ctor);
}

// new FdStream(fd, { seqpacket, maxMessage }, onData(buf), onEnd(errorOrNull))
FdStream::FdStream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdStream>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsObject() || !info[2].IsFunction() ||
      !info[3].IsFunction()) {
    throw Napi::TypeError::New(env, "FdStream(fd: number, opts: object, onData: function, onEnd: function)");
  }
  int64_t fd = info[0].As<Napi::Number>().Int64Value();
  if (fd < 0 || fd > INT32_MAX) throw Napi::RangeError::New(env, "fd must be a non-negative integer");
  Napi::Object opts = info[1].As<Napi::Object>();
  if (opts.Has("seqpacket")) seqpacket_ = opts.Get("seqpacket").ToBoolean().Value();
  if (opts.Has("maxMessage")) {
    Napi::Value v = opts.Get("maxMessage");
    if (!v.IsNumber()) throw Napi::TypeError::New(env, "maxMessage must be a number");
    int64_t m = v.As<Napi::Number>().Int64Value();
    if (m < 1 || m > 1 << 20) throw Napi::RangeError::New(env, "maxMessage must be in 1..1048576");
    maxMessage_ = static_cast<size_t>(m);
  }
  struct stat st;
  if (fstat(static_cast<int>(fd), &st) != 0) {
    throw Napi::Error::New(env, std::string("fd is not open: ") + strerror(errno));
  }
  isSocket_ = S_ISSOCK(st.st_mode);
  int flags = fcntl(static_cast<int>(fd), F_GETFL);
  if (flags < 0 || fcntl(static_cast<int>(fd), F_SETFL, flags | O_NONBLOCK) < 0) {
    throw Napi::Error::New(env, std::string("cannot make fd non-blocking: ") + strerror(errno));
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(env, "no libuv loop");
  }
  auto* h = new PollHandle{};
  h->owner = this;
  h->fd = static_cast<int>(fd);
  int rc = uv_poll_init(loop, &h->poll, h->fd);
  if (rc != 0) {
    delete h;
    throw Napi::Error::New(env, std::string("uv_poll_init: ") + uv_strerror(rc));
  }
  h->poll.data = h;
  handle_ = h;
  fd_ = h->fd;
  onData_ = Napi::Persistent(info[2].As<Napi::Function>());
  onEnd_ = Napi::Persistent(info[3].As<Napi::Function>());
  Ref();  // stay alive while the fd is open, whatever JS holds
  UpdatePoll();
}

FdStream::~FdStream() {
  // Only reached after close() (we hold a ref until then) or at env teardown.
  if (handle_ != nullptr) {
    handle_->owner = nullptr;
    Teardown();
  }
}

void FdStream::UpdatePoll() {
  if (handle_ == nullptr) return;
  int events = 0;
  if (!paused_) events |= UV_READABLE;
  if (!queue_.empty()) events |= UV_WRITABLE;
  if (events == 0) {
    uv_poll_stop(&handle_->poll);
  } else {
    uv_poll_start(&handle_->poll, events, &FdStream::OnPoll);
  }
}

void FdStream::OnPoll(uv_poll_t* poll, int status, int events) {
  auto* h = static_cast<PollHandle*>(poll->data);
  FdStream* self = h->owner;
  if (self == nullptr) return;
  Napi::HandleScope scope(self->env_);
  if (status < 0) {
    self->Finish(std::string("poll: ") + uv_strerror(status));
    return;
  }
  if (events & UV_WRITABLE) self->HandleWritable();
  if (self->handle_ != nullptr && (events & (UV_READABLE | UV_DISCONNECT))) self->HandleReadable();
}

void FdStream::Deliver(Napi::FunctionReference& cb, std::initializer_list<napi_value> args) {
  try {
    cb.MakeCallback(env_.Global(), args);
  } catch (const Napi::Error& e) {
    // A throwing listener must surface as an uncaught exception, not abort the process.
    napi_fatal_exception(env_, e.Value());
  }
}

void FdStream::HandleReadable() {
  static thread_local char buf[kReadBuf];
  for (int i = 0; i < kMaxReadsPerWake && handle_ != nullptr && !paused_; i++) {
    ssize_t n = isSocket_ ? recv(fd_, buf, sizeof buf, 0) : read(fd_, buf, sizeof buf);
    if (n > 0) {
      Napi::Buffer<char> chunk = Napi::Buffer<char>::Copy(env_, buf, static_cast<size_t>(n));
      Deliver(onData_, {chunk});
      continue;
    }
    if (n == 0) {
      Finish("");
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    // A pty master reports EIO once the last slave fd is closed: that is end-of-stream.
    if (errno == EIO && !isSocket_) {
      Finish("");
      return;
    }
    Finish(std::string("read: ") + strerror(errno));
    return;
  }
}

void FdStream::HandleWritable() {
  while (!queue_.empty() && handle_ != nullptr) {
    std::string& front = queue_.front();
    ssize_t n = isSocket_ ? send(fd_, front.data(), front.size(), MSG_NOSIGNAL)
                          : write(fd_, front.data(), front.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Finish(std::string("write: ") + strerror(errno));
      return;
    }
    pendingBytes_ -= static_cast<size_t>(n);
    if (static_cast<size_t>(n) < front.size()) {
      front.erase(0, static_cast<size_t>(n));  // stream fds may take part of a chunk
      break;
    }
    queue_.pop_front();
  }
  UpdatePoll();
}

Napi::Value FdStream::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    throw Napi::TypeError::New(env, "write(data: Uint8Array)");
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) throw Napi::TypeError::New(env, "write expects a Uint8Array");
  if (handle_ == nullptr) throw Napi::Error::New(env, "stream is closed");
  Napi::Uint8Array arr = info[0].As<Napi::Uint8Array>();
  const char* data = reinterpret_cast<const char*>(arr.Data());
  size_t len = arr.ByteLength();
  size_t step = seqpacket_ ? maxMessage_ : (1 << 16);
  for (size_t off = 0; off < len; off += step) {
    size_t n = len - off < step ? len - off : step;
    queue_.emplace_back(data + off, n);
    pendingBytes_ += n;
  }
  HandleWritable();
  return Napi::Number::New(env, static_cast<double>(pendingBytes_));
}

Napi::Value FdStream::Pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(pendingBytes_));
}

void FdStream::Pause(const Napi::CallbackInfo&) {
  paused_ = true;
  UpdatePoll();
}

void FdStream::Resume(const Napi::CallbackInfo&) {
  paused_ = false;
  UpdatePoll();
}

void FdStream::Close(const Napi::CallbackInfo&) { Finish(""); }

void FdStream::Finish(const std::string& error) {
  if (finished_) return;
  finished_ = true;
  Teardown();
  Napi::Value arg = error.empty() ? env_.Null() : Napi::String::New(env_, error);
  Deliver(onEnd_, {arg});
  onData_.Reset();
  onEnd_.Reset();
  Unref();
}

void FdStream::Teardown() {
  if (handle_ == nullptr) return;
  PollHandle* h = handle_;
  handle_ = nullptr;
  queue_.clear();
  pendingBytes_ = 0;
  h->owner = nullptr;
  uv_poll_stop(&h->poll);
  // libuv wants the fd open until the handle is closed.
  uv_close(reinterpret_cast<uv_handle_t*>(&h->poll), [](uv_handle_t* handle) {
    auto* ph = static_cast<PollHandle*>(handle->data);
    close(ph->fd);
    delete ph;
  });
}

}  // namespace tandem
