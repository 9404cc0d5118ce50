// Shared plumbing for the libvirt addon: error capture, the Promise-returning worker, argument
// checks and the per-connection state that every wrapped object points at.
#pragma once

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "args.h"
#include "ops.h"

namespace tlv {

using tandem::IsIntegerIn;

// A copy of libvirt's thread-local error, taken right after the failing call (any later libvirt
// call, even virDomainFree, resets it).
struct LvErr {
  bool set = false;
  int code = -1;
  int domain = 0;
  int level = 2;
  int int1 = 0;
  std::string message;
  std::string str1;
  // Always returns false so that `return e.Capture();` reads naturally in a failing branch.
  bool Capture();
  // A failure outside libvirt (e.g. opening a local file): code -1, like LibvirtError's SYSTEM.
  bool Custom(const std::string& msg);
};

struct AddonData {
  Napi::FunctionReference errorFactory;
  Napi::FunctionReference connectionCtor;
  Napi::FunctionReference domainCtor;
  Napi::FunctionReference streamCtor;
};

AddonData* Data(Napi::Env env);
Napi::Value MakeError(Napi::Env env, const LvErr& e);

// Runs `exec` on the libuv pool, then settles a Promise on the JS thread. `releases` run on the
// pool after exec (and after the error is captured): drop libvirt refs taken for the call there.
using Exec = std::function<bool(LvErr&)>;
using Done = std::function<Napi::Value(Napi::Env)>;
using Release = std::function<void()>;
Napi::Promise RunAsync(Napi::Env env, Exec exec, Done done, std::vector<Release> releases = {});

// Argument checks: they throw TypeError (a JS exception, never a crash). Messages name the
// argument ("name must be a string"); the integer test is the shared one (native/common/args.h).
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what);
bool ArgOptString(const Napi::CallbackInfo& info, size_t i, const char* what, std::string* out);
unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i);
uint32_t ArgUint(const Napi::CallbackInfo& info, size_t i, const char* what);
double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* what, double dflt);
Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what);
// An integer in [lo, hi] (TypeError otherwise); a byte count passes lo 0, hi 2^53-1.
double ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* what, double lo, double hi);

// Shared by the by-name calls on networks, pools and volumes (network.cc, storage.cc, volume.cc).
struct NameUuid {
  std::string name, uuid;
};
Napi::Object NameUuidObj(Napi::Env env, const NameUuid& n);
// Resolves with the malloc'd string `fn` returns (freed here); `fn` sets *failed after capturing.
Napi::Value StringResult(Napi::Env env, virConnectPtr c, std::function<char*(LvErr&, bool*)> fn);
Napi::Value VoidResult(Napi::Env env, virConnectPtr c, std::function<bool(LvErr&)> fn);

struct ConnState {
  virConnectPtr conn = nullptr;
  std::atomic<bool> closed{false};
  std::vector<int> domainEventIds;  // touched on the JS thread only
  bool closeCallbackRegistered = false;
  ~ConnState();
};
using ConnRef = std::shared_ptr<ConnState>;

// A reference on the connection for the duration of one worker.
Release HoldConn(virConnectPtr c);

class Connection : public Napi::ObjectWrap<Connection> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit Connection(const Napi::CallbackInfo& info);
  ~Connection() override;
  static Napi::Value Open(const Napi::CallbackInfo& info);
  ConnRef state;

 private:
  virConnectPtr Check(Napi::Env env);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value IsAlive(const Napi::CallbackInfo& info);
  Napi::Value GetVersion(const Napi::CallbackInfo& info);
  Napi::Value GetLibVersion(const Napi::CallbackInfo& info);
  Napi::Value GetHostname(const Napi::CallbackInfo& info);
  Napi::Value GetURI(const Napi::CallbackInfo& info);
  Napi::Value GetCapabilities(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomains(const Napi::CallbackInfo& info);
  Napi::Value ListAllDomainsDetailed(const Napi::CallbackInfo& info);
  Napi::Value LookupDomainByName(const Napi::CallbackInfo& info);
  Napi::Value LookupDomainByUUID(const Napi::CallbackInfo& info);
  Napi::Value DefineDomain(const Napi::CallbackInfo& info);
  Napi::Value CreateDomainXML(const Napi::CallbackInfo& info);
  Napi::Value GetAllDomainStats(const Napi::CallbackInfo& info);
  Napi::Value RegisterDomainEvent(const Napi::CallbackInfo& info);
  Napi::Value DeregisterDomainEvent(const Napi::CallbackInfo& info);
  // networks
  Napi::Value ListNetworks(const Napi::CallbackInfo& info);
  Napi::Value NetworkDefineXML(const Napi::CallbackInfo& info);
  Napi::Value NetworkCreateXML(const Napi::CallbackInfo& info);
  Napi::Value NetworkOp(const Napi::CallbackInfo& info);
  Napi::Value NetworkGetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value NetworkGetDHCPLeases(const Napi::CallbackInfo& info);
  Napi::Value NetworkUpdate(const Napi::CallbackInfo& info);
  // storage pools (storage.cc)
  Napi::Value ListStoragePools(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolGetInfo(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolDefineXML(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolCreateXML(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolOp(const Napi::CallbackInfo& info);
  Napi::Value StoragePoolGetXMLDesc(const Napi::CallbackInfo& info);
  // storage volumes (volume.cc)
  Napi::Value ListStorageVolumes(const Napi::CallbackInfo& info);
  Napi::Value StorageVolGetInfo(const Napi::CallbackInfo& info);
  Napi::Value StorageVolLookupByPath(const Napi::CallbackInfo& info);
  Napi::Value StorageVolCreateXML(const Napi::CallbackInfo& info);
  Napi::Value StorageVolCreateXMLFrom(const Napi::CallbackInfo& info);
  Napi::Value StorageVolDelete(const Napi::CallbackInfo& info);
  Napi::Value StorageVolResize(const Napi::CallbackInfo& info);
  Napi::Value StorageVolGetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value StorageVolUpload(const Napi::CallbackInfo& info);
  Napi::Value StorageVolDownload(const Napi::CallbackInfo& info);
};

class Domain : public Napi::ObjectWrap<Domain> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object New(Napi::Env env, virDomainPtr dom, ConnRef cs);  // takes ownership
  explicit Domain(const Napi::CallbackInfo& info);
  ~Domain() override;

 private:
  // Throws on a freed handle or closed connection; returns a new ref released after the worker.
  virDomainPtr Acquire(Napi::Env env, std::vector<Release>* rel);
  // The one-call lifecycle actions (C++ only: JS calls each by its method name).
  enum class Action { kCreate, kShutdown, kDestroy, kReboot, kSuspend, kResume, kUndefine, kReset };
  Napi::Value Simple(const Napi::CallbackInfo& info, Action op);
  Napi::Value Create(const Napi::CallbackInfo& info) { return Simple(info, Action::kCreate); }
  Napi::Value Shutdown(const Napi::CallbackInfo& info) { return Simple(info, Action::kShutdown); }
  Napi::Value Destroy(const Napi::CallbackInfo& info) { return Simple(info, Action::kDestroy); }
  Napi::Value Reboot(const Napi::CallbackInfo& info) { return Simple(info, Action::kReboot); }
  Napi::Value Suspend(const Napi::CallbackInfo& info) { return Simple(info, Action::kSuspend); }
  Napi::Value Resume(const Napi::CallbackInfo& info) { return Simple(info, Action::kResume); }
  Napi::Value Undefine(const Napi::CallbackInfo& info) { return Simple(info, Action::kUndefine); }
  Napi::Value Reset(const Napi::CallbackInfo& info) { return Simple(info, Action::kReset); }
  Napi::Value GetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value GetInfo(const Napi::CallbackInfo& info);
  Napi::Value GetState(const Napi::CallbackInfo& info);
  Napi::Value IsActive(const Napi::CallbackInfo& info);
  Napi::Value IsPersistent(const Napi::CallbackInfo& info);
  Napi::Value SetAutostart(const Napi::CallbackInfo& info);
  Napi::Value GetName(const Napi::CallbackInfo& info);
  Napi::Value GetUUIDString(const Napi::CallbackInfo& info);
  Napi::Value GetID(const Napi::CallbackInfo& info);
  Napi::Value Free(const Napi::CallbackInfo& info);
  Napi::Value IsFreed(const Napi::CallbackInfo& info);
  Napi::Value OpenConsole(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCreateXML(const Napi::CallbackInfo& info);
  Napi::Value ListSnapshots(const Napi::CallbackInfo& info);
  Napi::Value SnapshotGetXMLDesc(const Napi::CallbackInfo& info);
  Napi::Value RevertToSnapshot(const Napi::CallbackInfo& info);
  Napi::Value DeleteSnapshot(const Napi::CallbackInfo& info);
  Napi::Value SnapshotIsCurrent(const Napi::CallbackInfo& info);
  Napi::Value SnapshotCurrentName(const Napi::CallbackInfo& info);
  Napi::Value ListSnapshotsDetailed(const Napi::CallbackInfo& info);
  Napi::Value InterfaceAddresses(const Napi::CallbackInfo& info);
  Napi::Value Rename(const Napi::CallbackInfo& info);
  // devices.cc: hotplug and live disk resize
  enum class DeviceAction { kAttach, kDetach, kUpdate };
  Napi::Value Device(const Napi::CallbackInfo& info, DeviceAction op);
  Napi::Value AttachDeviceFlags(const Napi::CallbackInfo& info) { return Device(info, DeviceAction::kAttach); }
  Napi::Value DetachDeviceFlags(const Napi::CallbackInfo& info) { return Device(info, DeviceAction::kDetach); }
  Napi::Value UpdateDeviceFlags(const Napi::CallbackInfo& info) { return Device(info, DeviceAction::kUpdate); }
  Napi::Value DetachDeviceAlias(const Napi::CallbackInfo& info);
  Napi::Value BlockResize(const Napi::CallbackInfo& info);

  virDomainPtr dom_ = nullptr;
  ConnRef cs_;
};

// Console streams (stream.cc).
struct StreamState;
class Stream : public Napi::ObjectWrap<Stream> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object New(Napi::Env env, std::shared_ptr<StreamState> ss);
  explicit Stream(const Napi::CallbackInfo& info);
  ~Stream() override;

 private:
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value Pending(const Napi::CallbackInfo& info);
  std::shared_ptr<StreamState> ss_;
};

// Opens a console on `dom` (a ref the caller owns until the worker ends) — stream.cc.
Napi::Value OpenConsoleAsync(Napi::Env env, virDomainPtr dom, std::vector<Release> rel, bool hasDev,
                             std::string dev, unsigned int flags, Napi::Function onEvent);

// events.cc
void StartEventLoop();
void RegisterCloseCallback(virConnectPtr c, Napi::ThreadSafeFunction tsfn, LvErr& err, bool* ok);
void UnregisterCloseCallback(virConnectPtr c);
Napi::ThreadSafeFunction MakeCloseTsfn(Napi::Env env, Napi::Function fn);
Napi::Value RegisterDomainEventAsync(Napi::Env env, ConnRef cs, int eventId, Napi::Function fn);

// stats.cc
Napi::Value GetAllDomainStatsAsync(Napi::Env env, ConnRef cs, unsigned int groups, unsigned int flags);

}  // namespace tlv
