// A VM's disks beyond the one Tandem made with it: pool volumes plugged in as virtio disks
// vdb, vdc, … Each gets a user alias (`ua-disk-vdX`) so it can be unplugged by alias, live and
// in the config. A running VM changes live and in its config at once (PCI hotplug on the i440fx
// machine goes through ACPI, which every Tandem domain has in <features>); a stopped one only in
// its config. Growing a running disk is QEMU's (blockResize, so the guest sees it at once); a
// stopped one's volume is grown by the storage backend. A move (stopped VMs only) switches the
// domain to the copy the storage backend made. Volumes and their rows are the service's.
import { DeviceModifyFlag, XMLFlag, type Connection, type Domain } from "../../../../native/libvirt/index";
import { AppError, invalidState } from "../../../domain/errors";
import type { DiskCapable, DriverDisk, VolumeRef } from "../../../domain/guest-disks";
import type { VmContext } from "./context";
import { virtualSize, isImageFormat } from "./disks";
import { makeReachable } from "./qemu-access";
import { buildDiskXml } from "./xml-build";
import { parseDomainXml, type ParsedDisk } from "./xml-parse";

/** Targets an added disk may take: vdb … vdz (vda is the VM's own disk). */
export const MAX_EXTRA_DISKS = 25;
const TARGETS = Array.from({ length: MAX_EXTRA_DISKS }, (_, i) => `vd${String.fromCharCode(98 + i)}`);
/** How long a live detach may take before Tandem reports the guest kept the disk. */
const DETACH_WAIT_MS = 30_000;

export const diskAlias = (target: string) => `ua-disk-${target}`;

/** Everything of DiskCapable but the linked-clone check, which is the templates' (driver.ts). */
export class GuestDisks implements Omit<DiskCapable, "diskClones"> {
  constructor(private readonly ctx: VmContext) {}

  listDisks(id: string): Promise<DriverDisk[]> {
    return this.ctx.withDomain(id, "list the VM's disks", (d, c) => this.listDisksOf(d, c));
  }

  attachDisk(id: string, volume: VolumeRef): Promise<{ target: string }> {
    return this.ctx.withDomain(id, "attach the disk", async (d, c) => {
      const running = await d.isActive();
      const taken = await this.targets(d, running);
      if (taken.paths.has(volume.path))
        throw new AppError("CONFLICT", `volume: ${volume.path} is already a disk of this VM`);
      const target = TARGETS.find((t) => !taken.targets.has(t));
      if (!target) throw new AppError("VALIDATION", "volume: this VM has no free disk target left (vdb–vdz)");
      if (running) await makeReachable(volume.path, await this.ctx.qemu(c), this.ctx.layout.dataDir);
      const xml = buildDiskXml({
        path: volume.path,
        format: volume.format,
        device: "disk",
        bus: "virtio",
        target,
        alias: diskAlias(target),
      });
      await d.attachDevice(xml, running ? DeviceModifyFlag.LIVE | DeviceModifyFlag.CONFIG : DeviceModifyFlag.CONFIG);
      this.ctx.hub.emit({ type: "changed", id });
      return { target };
    });
  }

  detachDisk(id: string, target: string): Promise<void> {
    return this.ctx.withDomain(id, "detach the disk", async (d) => {
      const running = await d.isActive();
      const config = parseDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE)).disks.find((x) => x.target === target);
      const live = running ? parseDomainXml(await d.getXMLDesc()).disks.find((x) => x.target === target) : undefined;
      if (!config && !live) throw new AppError("NOT_FOUND", `the VM has no disk ${target}`);
      if (target === "vda") throw new AppError("VALIDATION", "target: vda is the VM's own disk and stays");
      if (live) {
        await d.detachDeviceAlias(live.alias ?? diskAlias(target), DeviceModifyFlag.LIVE);
        await this.waitGone(d, target);
      }
      if (config) await d.detachDeviceAlias(config.alias ?? diskAlias(target), DeviceModifyFlag.CONFIG);
      this.ctx.hub.emit({ type: "changed", id });
    });
  }

  growDiskLive(id: string, target: string, bytes: number): Promise<void> {
    return this.ctx.withDomain(id, "grow the disk", async (d, c) => {
      if (!(await d.isActive())) throw invalidState("the VM is not running: grow its volume instead");
      const now = (await this.listDisksOf(d, c)).find((x) => x.target === target);
      if (!now) throw new AppError("NOT_FOUND", `the VM has no disk ${target}`);
      if (bytes <= now.capacityBytes) {
        throw new AppError("VALIDATION", `sizeGiB: disks only grow; ${target} is already ${now.capacityBytes} bytes`);
      }
      await d.blockResize(target, bytes);
      this.ctx.hub.emit({ type: "changed", id });
    });
  }

  switchDisk(id: string, target: string, to: VolumeRef): Promise<void> {
    return this.ctx.withDomain(id, "switch the disk to its new volume", async (d) => {
      if (await d.isActive()) {
        throw invalidState("shut the VM down to move its disk: a running VM's disk cannot change pools");
      }
      const disk = parseDomainXml(await d.getXMLDesc(XMLFlag.INACTIVE)).disks.find((x) => x.target === target);
      if (!disk?.path) throw new AppError("NOT_FOUND", `the VM has no disk ${target}`);
      const from: VolumeRef = { path: disk.path, format: disk.format === "raw" ? "raw" : "qcow2" };
      const alias = disk.alias ?? diskAlias(target);
      const xmlFor = (v: VolumeRef) =>
        buildDiskXml({ path: v.path, format: v.format, device: "disk", bus: "virtio", target, alias });
      // libvirt changes a disk's source in place only for removable media: out and in again,
      // both in the config, the old one put back if the new one is refused.
      await d.detachDeviceAlias(alias, DeviceModifyFlag.CONFIG);
      try {
        await d.attachDevice(xmlFor(to), DeviceModifyFlag.CONFIG);
      } catch (e) {
        await d.attachDevice(xmlFor(from), DeviceModifyFlag.CONFIG).catch(() => undefined);
        throw e;
      }
      this.ctx.hub.emit({ type: "changed", id });
    });
  }

  private async listDisksOf(d: Domain, c: Connection): Promise<DriverDisk[]> {
    const disks = parseDomainXml(await d.getXMLDesc()).disks.filter((x) => x.device === "disk" && x.path);
    return Promise.all(disks.map((x) => this.describe(c, x)));
  }

  /** Size from the pool when the file is a volume libvirt knows, else from the image itself. */
  private async describe(c: Connection, x: ParsedDisk): Promise<DriverDisk> {
    const path = x.path as string;
    let capacityBytes = 0;
    try {
      capacityBytes = (await c.storageVolLookupByPath(path)).capacity;
    } catch {
      const format = x.format && isImageFormat(x.format) ? x.format : "raw";
      capacityBytes = await virtualSize(path, format).catch(() => 0);
    }
    return { target: x.target ?? "", path, format: x.format, capacityBytes, readOnly: x.readonly };
  }

  /** Targets and paths used in the config and (running) the live definition. */
  private async targets(d: Domain, running: boolean): Promise<{ targets: Set<string>; paths: Set<string> }> {
    const xmls = [await d.getXMLDesc(XMLFlag.INACTIVE), ...(running ? [await d.getXMLDesc()] : [])];
    const disks = xmls.flatMap((x) => parseDomainXml(x).disks);
    return {
      targets: new Set(disks.map((x) => x.target).filter((t): t is string => !!t)),
      paths: new Set(disks.map((x) => x.path).filter((p): p is string => !!p)),
    };
  }

  /**
   * libvirt returns from a live detach once it asked the guest (ACPI eject) and waited a few
   * seconds; the device is gone when the guest lets go. Watch the live XML until then.
   */
  private async waitGone(d: Domain, target: string): Promise<void> {
    const until = Date.now() + DETACH_WAIT_MS;
    for (;;) {
      const live = parseDomainXml(await d.getXMLDesc()).disks;
      if (!live.some((x) => x.target === target)) return;
      if (Date.now() > until) {
        throw new AppError(
          "CONFLICT",
          `the guest has not released ${target} (it may have it mounted); unmount it in the guest or stop the VM and try again`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
