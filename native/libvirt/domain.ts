// A domain handle: lifecycle, XML, state, consoles, snapshots, guest addresses and device
// hotplug. Name, UUID and id are cached in the handle; every other call is one worker round in
// the addon.
import { Console } from "./console";
import {
  BlockResizeFlag,
  ConsoleFlag,
  domainStateName,
  interfaceAddressSource,
  type DomainStateName,
  type InterfaceAddressSourceName,
} from "./constants";
import type { Flags, NativeDomain } from "./native";
import type { DomainInfo, DomainInterface, SnapshotDetails } from "./shapes";

export class Domain {
  /** @internal */
  constructor(private readonly n: NativeDomain) {}

  /** Cached in the handle (no round trip). */
  get name(): string {
    return this.n.getName();
  }
  get uuid(): string {
    return this.n.getUUIDString();
  }
  /** Running id as of the lookup; -1 when inactive. */
  get id(): number {
    return this.n.getID();
  }
  create(flags: Flags = 0): Promise<void> {
    return this.n.create(flags);
  }
  /** Asks the guest to shut down (ACPI by default); returns before the guest is off. */
  shutdown(flags: Flags = 0): Promise<void> {
    return this.n.shutdown(flags);
  }
  /** Forced power-off. */
  destroy(flags: Flags = 0): Promise<void> {
    return this.n.destroy(flags);
  }
  reboot(flags: Flags = 0): Promise<void> {
    return this.n.reboot(flags);
  }
  reset(): Promise<void> {
    return this.n.reset(0);
  }
  suspend(): Promise<void> {
    return this.n.suspend();
  }
  resume(): Promise<void> {
    return this.n.resume();
  }
  /** virDomainRename (the domain must be inactive). */
  rename(name: string): Promise<void> {
    return this.n.rename(name);
  }
  /** virDomainUndefineFlags; pass UndefineFlag.SNAPSHOTS_METADATA | NVRAM to drop those too. */
  undefine(flags: Flags = 0): Promise<void> {
    return this.n.undefine(flags);
  }
  getXMLDesc(flags: Flags = 0): Promise<string> {
    return this.n.getXMLDesc(flags);
  }
  getInfo(): Promise<DomainInfo> {
    return this.n.getInfo();
  }
  getState(): Promise<{ state: DomainStateName; code: number; reason: number }> {
    return this.n.getState().then((s) => ({ state: domainStateName(s.state), code: s.state, reason: s.reason }));
  }
  isActive(): Promise<boolean> {
    return this.n.isActive();
  }
  isPersistent(): Promise<boolean> {
    return this.n.isPersistent();
  }
  setAutostart(on: boolean): Promise<void> {
    return this.n.setAutostart(on);
  }
  /** Drops the handle now instead of at GC; later calls throw. */
  free(): void {
    this.n.free();
  }
  isFreed(): boolean {
    return this.n.isFreed();
  }

  /**
   * Opens the domain's console (`devName` null = first serial/console) on a non-blocking stream.
   * `force` takes the console from another client.
   */
  openConsole(opts: { devName?: string | null; force?: boolean; safe?: boolean } = {}): Promise<Console> {
    const flags = (opts.force ? ConsoleFlag.FORCE : 0) | (opts.safe ? ConsoleFlag.SAFE : 0);
    const c = new Console();
    return this.n
      .openConsole(opts.devName ?? null, flags, (t, p) => c.dispatch(t, p))
      .then((n) => {
        c.attach(n);
        return c;
      });
  }

  snapshotCreateXML(xml: string, flags: Flags = 0): Promise<string> {
    return this.n.snapshotCreateXML(xml, flags);
  }
  listSnapshots(): Promise<string[]> {
    return this.n.listSnapshots(0);
  }
  snapshotGetXMLDesc(name: string): Promise<string> {
    return this.n.snapshotGetXMLDesc(name, 0);
  }
  revertToSnapshot(name: string, flags: Flags = 0): Promise<void> {
    return this.n.revertToSnapshot(name, flags);
  }
  deleteSnapshot(name: string, flags: Flags = 0): Promise<void> {
    return this.n.deleteSnapshot(name, flags);
  }
  /** virDomainSnapshotIsCurrent. */
  snapshotIsCurrent(name: string): Promise<boolean> {
    return this.n.snapshotIsCurrent(name);
  }
  /** The current snapshot's name (virDomainSnapshotCurrent), or null when there is none. */
  snapshotCurrentName(): Promise<string | null> {
    return this.n.snapshotCurrentName();
  }
  /** Every snapshot with its XML and current flag in one round (no call per snapshot). */
  listSnapshotsDetailed(): Promise<SnapshotDetails[]> {
    return this.n.listSnapshotsDetailed(0, 0);
  }
  /** virDomainInterfaceAddresses: the running guest's NICs and addresses from `source`. */
  interfaceAddresses(source: InterfaceAddressSourceName = "lease"): Promise<DomainInterface[]> {
    return this.n.interfaceAddresses(interfaceAddressSource(source));
  }

  /** virDomainAttachDeviceFlags: a <disk>, <interface>, ... ; flags: DeviceModifyFlag.LIVE | CONFIG. */
  attachDevice(xml: string, flags: Flags = 0): Promise<void> {
    return this.n.attachDeviceFlags(xml, flags);
  }
  /**
   * virDomainDetachDeviceFlags: the device matching `xml`. A live detach needs the guest to
   * release the device; libvirt waits a few seconds and resolves even if the guest has not yet.
   */
  detachDevice(xml: string, flags: Flags = 0): Promise<void> {
    return this.n.detachDeviceFlags(xml, flags);
  }
  /** virDomainUpdateDeviceFlags: change a device in place (NIC link state, cdrom media, ...). */
  updateDevice(xml: string, flags: Flags = 0): Promise<void> {
    return this.n.updateDeviceFlags(xml, flags);
  }
  /** virDomainDetachDeviceAlias: the device with <alias name=...> (user aliases start "ua-"). */
  detachDeviceAlias(alias: string, flags: Flags = 0): Promise<void> {
    return this.n.detachDeviceAlias(alias, flags);
  }
  /** virDomainBlockResize: grows a running guest's disk (target "vda" or source path) to `bytes`. */
  blockResize(disk: string, bytes: number): Promise<void> {
    return this.n.blockResize(disk, bytes, BlockResizeFlag.BYTES);
  }
}
