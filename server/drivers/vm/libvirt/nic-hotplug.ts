// A VM's NICs on Tandem networks added and removed after create. A running VM changes live and
// in its config at once (PCI hotplug on the i440fx machine goes through ACPI, which every Tandem
// domain has); a stopped one only in its config. The interface is found again by its MAC (what
// libvirt matches a detach on). A live detach completes only when the guest releases the device,
// so it is waited for (bounded) and reported when the guest keeps it.
import { setTimeout as sleep } from "node:timers/promises";
import { DeviceModifyFlag, XMLFlag, type Domain } from "../../../../native/libvirt/index";
import type { ResolvedNic } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import type { VmContext } from "./context";
import { libvirtNetworkName } from "./network-xml";
import { buildNicXml, MAC_RE } from "./xml-build";
import { parseDomainXml } from "./xml-parse";

/** How long a live detach may take before Tandem reports the guest kept the NIC. */
const DETACH_WAIT_MS = 30_000;
const TAP_RE = /^tn[0-9a-f]{11}[0-9a-z]$/;

export class NicHotplug {
  constructor(private readonly ctx: VmContext) {}

  attachNic(id: string, nic: ResolvedNic & { index: number; iface: string }): Promise<void> {
    if (!MAC_RE.test(nic.mac)) throw new AppError("VALIDATION", `mac: '${nic.mac}' is not a lowercase unicast MAC`);
    if (!TAP_RE.test(nic.iface)) throw new AppError("VALIDATION", `iface: '${nic.iface}' is not a Tandem tap name`);
    return this.ctx.withDomain(id, "attach the NIC", async (d) => {
      const running = await d.isActive();
      const macs = (await this.macs(d, running)).all;
      if (macs.has(nic.mac)) throw new AppError("CONFLICT", `mac: the VM has a NIC with ${nic.mac} already`);
      const xml = buildNicXml({
        kind: "network",
        network: libvirtNetworkName({ id: nic.networkId }),
        mac: nic.mac,
        target: nic.iface,
      });
      await d.attachDevice(xml, running ? DeviceModifyFlag.LIVE | DeviceModifyFlag.CONFIG : DeviceModifyFlag.CONFIG);
      this.ctx.hub.emit({ type: "changed", id });
    });
  }

  detachNic(id: string, nic: { mac: string; networkId: string }): Promise<void> {
    return this.ctx.withDomain(id, "detach the NIC", async (d) => {
      const running = await d.isActive();
      const { live, config } = await this.macs(d, running);
      // Both gone already (a retry after a crash): nothing to do.
      if (!live.has(nic.mac) && !config.has(nic.mac)) return;
      const xml = `<interface type='network'><mac address='${nic.mac}'/><source network='${libvirtNetworkName({ id: nic.networkId })}'/></interface>`;
      if (live.has(nic.mac)) {
        await d.detachDevice(xml, DeviceModifyFlag.LIVE);
        await this.waitGone(d, nic.mac);
      }
      if (config.has(nic.mac)) await d.detachDevice(xml, DeviceModifyFlag.CONFIG);
      this.ctx.hub.emit({ type: "changed", id });
    });
  }

  private async macs(d: Domain, running: boolean) {
    const of = (xml: string) => new Set(parseDomainXml(xml).nics.flatMap((n) => (n.mac ? [n.mac.toLowerCase()] : [])));
    const config = of(await d.getXMLDesc(XMLFlag.INACTIVE));
    const live = running ? of(await d.getXMLDesc()) : new Set<string>();
    return { live, config, all: new Set([...live, ...config]) };
  }

  private async waitGone(d: Domain, mac: string): Promise<void> {
    const until = Date.now() + DETACH_WAIT_MS;
    while ((await this.macs(d, true)).live.has(mac)) {
      if (Date.now() > until) {
        throw new AppError("CONFLICT", `the guest has not released the NIC ${mac}; stop the VM and try again`);
      }
      await sleep(250);
    }
  }
}
