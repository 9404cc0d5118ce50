// libvirt's default event loop on a dedicated thread (keepalive, close callbacks, domain events
// and stream callbacks all run there) and the bridges from it to JS via ThreadSafeFunctions.
#include <thread>

#include "common.h"

namespace tlv {

namespace {
std::once_flag loopOnce;

struct DomainEventMsg {
  int kind;  // VIR_DOMAIN_EVENT_ID_*
  std::string name;
  std::string uuid;
  int event = 0;
  int detail = 0;
};

struct EventCtx {
  Napi::ThreadSafeFunction tsfn;
  int kind;
};

void FreeEventCtx(void* opaque) {
  auto* ctx = static_cast<EventCtx*>(opaque);
  ctx->tsfn.Release();
  delete ctx;
}

void CallDomainEvent(Napi::Env env, Napi::Function fn, DomainEventMsg* m) {
  if (env != nullptr && fn != nullptr) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("eventId", m->kind);
    o.Set("name", m->name);
    o.Set("uuid", m->uuid);
    o.Set("event", m->event);
    o.Set("detail", m->detail);
    // A throwing listener surfaces as an uncaught JS exception (as from an EventEmitter), not as
    // std::terminate in the addon.
    try {
      fn.Call({o});
    } catch (const Napi::Error& e) {
      e.ThrowAsJavaScriptException();
    }
  }
  delete m;
}

void Post(EventCtx* ctx, virDomainPtr dom, int event, int detail) {
  auto* m = new DomainEventMsg();
  m->kind = ctx->kind;
  const char* n = virDomainGetName(dom);
  m->name = n ? n : "";
  char uuid[VIR_UUID_STRING_BUFLEN];
  if (virDomainGetUUIDString(dom, uuid) == 0) m->uuid = uuid;
  m->event = event;
  m->detail = detail;
  if (ctx->tsfn.NonBlockingCall(m, CallDomainEvent) != napi_ok) delete m;
}

int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  Post(static_cast<EventCtx*>(opaque), dom, event, detail);
  return 0;
}

void OnGeneric(virConnectPtr, virDomainPtr dom, void* opaque) { Post(static_cast<EventCtx*>(opaque), dom, 0, 0); }

struct CloseCtx {
  Napi::ThreadSafeFunction tsfn;
};

void OnClose(virConnectPtr, int reason, void* opaque) {
  auto* ctx = static_cast<CloseCtx*>(opaque);
  auto* r = new int(reason);
  auto cb = [](Napi::Env env, Napi::Function fn, int* reason) {
    if (env != nullptr && fn != nullptr) {
      try {
        fn.Call({Napi::Number::New(env, *reason)});
      } catch (const Napi::Error& e) {
        e.ThrowAsJavaScriptException();
      }
    }
    delete reason;
  };
  if (ctx->tsfn.NonBlockingCall(r, cb) != napi_ok) delete r;
}

void FreeCloseCtx(void* opaque) {
  auto* ctx = static_cast<CloseCtx*>(opaque);
  ctx->tsfn.Release();
  delete ctx;
}
}  // namespace

void StartEventLoop() {
  std::call_once(loopOnce, [] {
    virEventRegisterDefaultImpl();
    std::thread([] {
      for (;;) {
        if (virEventRunDefaultImpl() < 0) virResetLastError();
      }
    }).detach();
  });
}

Napi::ThreadSafeFunction MakeCloseTsfn(Napi::Env env, Napi::Function fn) {
  auto t = Napi::ThreadSafeFunction::New(env, fn, "tandem-libvirt-close", 0, 1);
  t.Unref(env);  // a close listener alone must not keep the process alive
  return t;
}

void RegisterCloseCallback(virConnectPtr c, Napi::ThreadSafeFunction tsfn, LvErr& err, bool* ok) {
  auto* ctx = new CloseCtx{tsfn};
  if (virConnectRegisterCloseCallback(c, OnClose, ctx, FreeCloseCtx) < 0) {
    err.Capture();
    FreeCloseCtx(ctx);
    *ok = false;
    return;
  }
  *ok = true;
}

void UnregisterCloseCallback(virConnectPtr c) {
  if (virConnectUnregisterCloseCallback(c, OnClose) < 0) virResetLastError();
}

Napi::Value RegisterDomainEventAsync(Napi::Env env, ConnRef cs, int eventId, Napi::Function fn) {
  auto tsfn = Napi::ThreadSafeFunction::New(env, fn, "tandem-libvirt-domain-event", 0, 1);
  tsfn.Unref(env);
  auto* ctx = new EventCtx{tsfn, eventId};
  auto id = std::make_shared<int>(-1);
  virConnectPtr c = cs->conn;
  return RunAsync(
      env,
      [c, ctx, eventId, id](LvErr& e) {
        virConnectDomainEventGenericCallback cb =
            eventId == VIR_DOMAIN_EVENT_ID_LIFECYCLE ? VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle)
                                                     : VIR_DOMAIN_EVENT_CALLBACK(OnGeneric);
        *id = virConnectDomainEventRegisterAny(c, nullptr, eventId, cb, ctx, FreeEventCtx);
        if (*id < 0) {
          e.Capture();
          FreeEventCtx(ctx);
          return false;
        }
        return true;
      },
      [cs, id](Napi::Env env) {
        cs->domainEventIds.push_back(*id);
        return Napi::Number::New(env, *id);
      },
      {HoldConn(c)});
}

}  // namespace tlv
