// Device changes on a domain: attach, detach and update a device from its XML (NIC and disk
// hotplug), detach by alias, and growing a running guest's disk (virDomainBlockResize, which also
// tells the guest). Flags pick the running domain (LIVE), its persistent config (CONFIG) or both.
#include "common.h"

namespace tlv {

Napi::Value Domain::Device(const Napi::CallbackInfo& info, DeviceAction op) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(
      info.Env(),
      [d, op, xml, flags](LvErr& e) {
        int r = -1;
        switch (op) {
          case DeviceAction::kAttach: r = virDomainAttachDeviceFlags(d, xml.c_str(), flags); break;
          case DeviceAction::kDetach: r = virDomainDetachDeviceFlags(d, xml.c_str(), flags); break;
          case DeviceAction::kUpdate: r = virDomainUpdateDeviceFlags(d, xml.c_str(), flags); break;
        }
        return r == 0 || e.Capture();
      },
      nullptr, std::move(rel));
}

// detachDeviceAlias(alias, flags): the device whose <alias name=...> is `alias` (user aliases
// start with "ua-"), without having to repeat its XML.
Napi::Value Domain::DetachDeviceAlias(const Napi::CallbackInfo& info) {
  std::string alias = ArgString(info, 0, "alias");
  unsigned int flags = ArgFlags(info, 1);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(
      info.Env(), [d, alias, flags](LvErr& e) { return virDomainDetachDeviceAlias(d, alias.c_str(), flags) == 0 || e.Capture(); },
      nullptr, std::move(rel));
}

// blockResize(disk, size, flags): disk is a target (vda) or source path; size in KiB, or bytes
// with BlockResizeFlag.BYTES. Running domains only.
Napi::Value Domain::BlockResize(const Napi::CallbackInfo& info) {
  std::string disk = ArgString(info, 0, "disk");
  auto size = static_cast<unsigned long long>(ArgInteger(info, 1, "size", 0, 9007199254740991.0));
  unsigned int flags = ArgFlags(info, 2);
  std::vector<Release> rel;
  virDomainPtr d = Acquire(info.Env(), &rel);
  return RunAsync(
      info.Env(),
      [d, disk, size, flags](LvErr& e) { return virDomainBlockResize(d, disk.c_str(), size, flags) == 0 || e.Capture(); },
      nullptr, std::move(rel));
}

}  // namespace tlv
