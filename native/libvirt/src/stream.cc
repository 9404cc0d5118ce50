// Console streams: virDomainOpenConsole on a non-blocking virStream. Reads and writes both happen
// on the event-loop thread (in the stream callback); JS queues writes and receives data through a
// ThreadSafeFunction as (type, payload), type a tlv::StreamEvent (ops.h).
#include <deque>

#include "common.h"

namespace tlv {

struct StreamState {
  virStreamPtr st = nullptr;
  std::mutex mu;
  std::deque<std::string> wq;
  size_t pending = 0;
  bool finished = false;  // no more I/O; callback removed or being removed
  bool released = false;  // tsfn released
  bool writable = false;  // WRITABLE interest currently registered
  Napi::ThreadSafeFunction tsfn;
  ~StreamState() {
    if (st) virStreamFree(st);
  }
};

namespace {
const int kBaseEvents = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;

struct StreamMsg {
  StreamEvent type;
  std::string data;
  LvErr err;
};

void CallJs(Napi::Env env, Napi::Function fn, StreamMsg* m) {
  if (env != nullptr && fn != nullptr) {
    Napi::Value payload = env.Undefined();
    if (m->type == StreamEvent::kData) payload = Napi::Buffer<char>::Copy(env, m->data.data(), m->data.size());
    if (m->type == StreamEvent::kError) payload = MakeError(env, m->err);
    try {
      fn.Call({Napi::Number::New(env, static_cast<int>(m->type)), payload});
    } catch (const Napi::Error& e) {
      e.ThrowAsJavaScriptException();
    }
  }
  delete m;
}

// Caller holds ss->mu.
void EmitLocked(StreamState* ss, StreamMsg* m) {
  if (ss->released || ss->tsfn.NonBlockingCall(m, CallJs) != napi_ok) delete m;
}

// Caller holds ss->mu. Marks the stream finished, tells JS, and lets go of the TSFN.
void FinishLocked(StreamState* ss, bool abort, const LvErr* err, bool eof) {
  if (ss->finished) return;
  ss->finished = true;
  if (virStreamEventRemoveCallback(ss->st) < 0) virResetLastError();
  if (abort) {
    if (virStreamAbort(ss->st) < 0) virResetLastError();
  } else {
    if (virStreamFinish(ss->st) < 0) virResetLastError();
  }
  if (err) EmitLocked(ss, new StreamMsg{StreamEvent::kError, "", *err});
  if (eof) EmitLocked(ss, new StreamMsg{StreamEvent::kEnd, "", LvErr()});
  EmitLocked(ss, new StreamMsg{StreamEvent::kClosed, "", LvErr()});
  if (!ss->released) {
    ss->released = true;
    ss->tsfn.Release();
  }
}

void OnStreamEvent(virStreamPtr st, int events, void* opaque) {
  auto ss = *static_cast<std::shared_ptr<StreamState>*>(opaque);
  std::lock_guard<std::mutex> lock(ss->mu);
  if (ss->finished) return;
  if (events & VIR_STREAM_EVENT_READABLE) {
    char buf[65536];
    for (;;) {
      int n = virStreamRecv(st, buf, sizeof buf);
      if (n > 0) {
        EmitLocked(ss.get(), new StreamMsg{StreamEvent::kData, std::string(buf, n), LvErr()});
        continue;
      }
      if (n == -2) break;
      if (n == 0) {
        FinishLocked(ss.get(), false, nullptr, true);
        return;
      }
      LvErr e;
      e.Capture();
      FinishLocked(ss.get(), true, &e, false);
      return;
    }
  }
  if (events & VIR_STREAM_EVENT_WRITABLE) {
    while (!ss->wq.empty()) {
      std::string& front = ss->wq.front();
      int n = virStreamSend(st, front.data(), front.size());
      if (n == -2) break;
      if (n < 0) {
        LvErr e;
        e.Capture();
        FinishLocked(ss.get(), true, &e, false);
        return;
      }
      ss->pending -= static_cast<size_t>(n);
      if (static_cast<size_t>(n) == front.size())
        ss->wq.pop_front();
      else
        front.erase(0, n);
    }
    if (ss->wq.empty() && ss->writable) {
      ss->writable = false;
      if (virStreamEventUpdateCallback(st, kBaseEvents) < 0) virResetLastError();
    }
  }
  if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) {
    FinishLocked(ss.get(), true, nullptr, (events & VIR_STREAM_EVENT_HANGUP) != 0);
  }
}

void FreeOpaque(void* opaque) { delete static_cast<std::shared_ptr<StreamState>*>(opaque); }
}  // namespace

Napi::Function Stream::Define(Napi::Env env) {
  return DefineClass(env, "Stream",
                     {
                         InstanceMethod("write", &Stream::Write),
                         InstanceMethod("close", &Stream::Close),
                         InstanceMethod("isClosed", &Stream::IsClosed),
                         InstanceMethod("pending", &Stream::Pending),
                     });
}

Napi::Object Stream::New(Napi::Env env, std::shared_ptr<StreamState> ss) {
  return Data(env)->streamCtor.New({Napi::External<std::shared_ptr<StreamState>>::New(env, &ss)});
}

Stream::Stream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Stream>(info) {
  if (info.Length() < 1 || !info[0].IsExternal())
    throw Napi::TypeError::New(info.Env(), "Stream cannot be constructed directly; use Domain.openConsole");
  ss_ = *info[0].As<Napi::External<std::shared_ptr<StreamState>>>().Data();
}

Stream::~Stream() {
  // Collected while open: stop I/O so the event loop does not keep feeding a dead listener.
  if (ss_) {
    std::lock_guard<std::mutex> lock(ss_->mu);
    FinishLocked(ss_.get(), true, nullptr, false);
  }
}

Napi::Value Stream::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string bytes;
  if (info.Length() >= 1 && info[0].IsBuffer()) {
    auto b = info[0].As<Napi::Buffer<char>>();
    bytes.assign(b.Data(), b.Length());
  } else if (info.Length() >= 1 && info[0].IsTypedArray()) {
    auto t = info[0].As<Napi::TypedArray>();
    auto ab = t.ArrayBuffer();
    bytes.assign(static_cast<const char*>(ab.Data()) + t.ByteOffset(), t.ByteLength());
  } else if (info.Length() >= 1 && info[0].IsString()) {
    bytes = info[0].As<Napi::String>().Utf8Value();
  } else {
    throw Napi::TypeError::New(env, "data must be a Buffer, Uint8Array or string");
  }
  std::lock_guard<std::mutex> lock(ss_->mu);
  if (ss_->finished) throw Napi::Error::New(env, "stream is closed");
  if (!bytes.empty()) {
    ss_->pending += bytes.size();
    ss_->wq.push_back(std::move(bytes));
    if (!ss_->writable) {
      ss_->writable = true;
      if (virStreamEventUpdateCallback(ss_->st, kBaseEvents | VIR_STREAM_EVENT_WRITABLE) < 0) virResetLastError();
    }
  }
  return Napi::Number::New(env, static_cast<double>(ss_->pending));
}

Napi::Value Stream::Close(const Napi::CallbackInfo& info) {
  auto ss = ss_;
  return RunAsync(
      info.Env(),
      [ss](LvErr&) {
        std::lock_guard<std::mutex> lock(ss->mu);
        FinishLocked(ss.get(), true, nullptr, false);
        return true;
      },
      nullptr);
}

Napi::Value Stream::IsClosed(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(ss_->mu);
  return Napi::Boolean::New(info.Env(), ss_->finished);
}

Napi::Value Stream::Pending(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(ss_->mu);
  return Napi::Number::New(info.Env(), static_cast<double>(ss_->pending));
}

Napi::Value OpenConsoleAsync(Napi::Env env, virDomainPtr dom, std::vector<Release> rel, bool hasDev, std::string dev,
                             unsigned int flags, Napi::Function onEvent) {
  auto ss = std::make_shared<StreamState>();
  ss->tsfn = Napi::ThreadSafeFunction::New(env, onEvent, "tandem-libvirt-console", 0, 1);
  return RunAsync(
      env,
      [ss, dom, hasDev, dev, flags](LvErr& e) {
        auto fail = [&ss, &e]() {
          std::lock_guard<std::mutex> lock(ss->mu);
          ss->finished = true;
          if (!ss->released) {
            ss->released = true;
            ss->tsfn.Release();
          }
          return false;
        };
        virConnectPtr c = virDomainGetConnect(dom);
        ss->st = virStreamNew(c, VIR_STREAM_NONBLOCK);
        if (ss->st == nullptr) return e.Capture() || fail();
        if (virDomainOpenConsole(dom, hasDev ? dev.c_str() : nullptr, ss->st, flags) < 0) return e.Capture() || fail();
        auto* opaque = new std::shared_ptr<StreamState>(ss);
        if (virStreamEventAddCallback(ss->st, kBaseEvents, OnStreamEvent, opaque, FreeOpaque) < 0) {
          e.Capture();
          delete opaque;
          if (virStreamAbort(ss->st) < 0) virResetLastError();
          return fail();
        }
        return true;
      },
      [ss](Napi::Env env) { return Stream::New(env, ss); }, std::move(rel));
}

}  // namespace tlv
