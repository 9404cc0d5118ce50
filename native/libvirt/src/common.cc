// Error capture, the Promise worker and argument checks shared by every wrapped object.
#include "common.h"

namespace tlv {

bool LvErr::Capture() {
  set = true;
  virErrorPtr e = virGetLastError();
  if (e == nullptr) {
    code = VIR_ERR_INTERNAL_ERROR;
    domain = VIR_FROM_NONE;
    message = "libvirt call failed without an error report";
    return false;
  }
  code = e->code;
  domain = e->domain;
  level = e->level;
  int1 = e->int1;
  message = e->message ? e->message : "unknown libvirt error";
  str1 = e->str1 ? e->str1 : "";
  virResetLastError();
  return false;
}

bool LvErr::Custom(const std::string& msg) {
  set = true;
  code = -1;
  domain = 0;
  message = msg;
  return false;
}

AddonData* Data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

Napi::Value MakeError(Napi::Env env, const LvErr& e) {
  AddonData* d = Data(env);
  if (d != nullptr && !d->errorFactory.IsEmpty()) {
    Napi::Value v = d->errorFactory.Call({Napi::Number::New(env, e.code), Napi::Number::New(env, e.domain),
                                          Napi::String::New(env, e.message), Napi::Number::New(env, e.level),
                                          Napi::String::New(env, e.str1), Napi::Number::New(env, e.int1)});
    if (v.IsObject()) return v;
  }
  Napi::Error err = Napi::Error::New(env, e.message);
  err.Set("code", Napi::Number::New(env, e.code));
  err.Set("domain", Napi::Number::New(env, e.domain));
  err.Set("level", Napi::Number::New(env, e.level));
  return err.Value();
}

namespace {
class Worker : public Napi::AsyncWorker {
 public:
  Worker(Napi::Env env, Exec exec, Done done, std::vector<Release> rel)
      : Napi::AsyncWorker(env, "tandem-libvirt"),
        deferred_(Napi::Promise::Deferred::New(env)),
        exec_(std::move(exec)),
        done_(std::move(done)),
        rel_(std::move(rel)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    ok_ = exec_(err_);
    if (!ok_ && !err_.set) err_.Capture();
    for (auto& r : rel_) r();
    rel_.clear();
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!ok_) {
      deferred_.Reject(MakeError(env, err_));
      return;
    }
    try {
      deferred_.Resolve(done_ ? done_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Exec exec_;
  Done done_;
  std::vector<Release> rel_;
  LvErr err_;
  bool ok_ = false;
};
}  // namespace

Napi::Promise RunAsync(Napi::Env env, Exec exec, Done done, std::vector<Release> releases) {
  auto* w = new Worker(env, std::move(exec), std::move(done), std::move(releases));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  std::string s = info[i].As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos)
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must not contain NUL characters");
  return s;
}

bool ArgOptString(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out) {
  if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return false;
  *out = ArgString(info, i, what);
  return true;
}

unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "flags must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!IsIntegerIn(d, 0, UINT32_MAX))
    throw Napi::TypeError::New(info.Env(), "flags must be an unsigned 32-bit integer");
  return static_cast<unsigned int>(d);
}

uint32_t ArgUint(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!IsIntegerIn(d, 0, UINT32_MAX))
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* what, double dflt) {
  if (info.Length() <= i || info[i].IsUndefined()) return dflt;
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsFunction())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a function");
  return info[i].As<Napi::Function>();
}

double ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* what, double lo, double hi) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!IsIntegerIn(d, lo, hi))
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an integer in " + std::to_string((long long)lo) +
                                               ".." + std::to_string((long long)hi));
  return d;
}

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

Release HoldConn(virConnectPtr c) {
  virConnectRef(c);
  return [c]() { virConnectClose(c); };
}

ConnState::~ConnState() {
  // Only reached when the JS Connection was collected without close(): drop our reference.
  if (conn != nullptr && !closed.exchange(true)) {
    if (closeCallbackRegistered) UnregisterCloseCallback(conn);
    virConnectClose(conn);
  }
}

}  // namespace tlv
