// Module entry: starts libvirt's event loop thread once per process, silences libvirt's default
// stderr error printer (errors travel as JS exceptions instead) and exports the classes.
#include "common.h"

namespace tlv {
namespace {
void QuietErrors(void*, virErrorPtr) {}

Napi::Value SetErrorFactory(const Napi::CallbackInfo& info) {
  Napi::Function fn = ArgFunction(info, 0, "factory");
  Data(info.Env())->errorFactory = Napi::Persistent(fn);
  return info.Env().Undefined();
}

Napi::Value LibraryVersion(const Napi::CallbackInfo& info) {
  unsigned long v = 0;
  if (virGetVersion(&v, nullptr, nullptr) < 0) {
    virResetLastError();
    return Napi::Number::New(info.Env(), 0);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(v));
}

}  // namespace

Napi::Object InitImpl(Napi::Env env, Napi::Object exports) {
  virInitialize();
  virSetErrorFunc(nullptr, QuietErrors);
  StartEventLoop();
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  Napi::Function conn = Connection::Define(env);
  Napi::Function dom = Domain::Define(env);
  Napi::Function stream = Stream::Define(env);
  data->connectionCtor = Napi::Persistent(conn);
  data->domainCtor = Napi::Persistent(dom);
  data->streamCtor = Napi::Persistent(stream);
  exports.Set("Connection", conn);
  exports.Set("Domain", dom);
  exports.Set("Stream", stream);
  exports.Set("open", Napi::Function::New(env, Connection::Open, "open"));
  exports.Set("setErrorFactory", Napi::Function::New(env, SetErrorFactory, "setErrorFactory"));
  exports.Set("libraryVersion", Napi::Function::New(env, LibraryVersion, "libraryVersion"));
  return exports;
}
}  // namespace tlv

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return tlv::InitImpl(env, exports); }

NODE_API_MODULE(tandem_libvirt, Init)
