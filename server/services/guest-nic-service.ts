// NICs added to and removed from an existing guest (hotplug), and the list the API shows. Each
// change holds the guest's lock (guest-locks.ts) like any task that changes a guest, writes or
// drops the Nic row with its address (guest-nics.ts), sets or drops the network's DHCP/DNS
// entries, and has the driver plug the NIC in or out: live on a running guest and in what its
// next start uses. It runs in the request (seconds at most), not as a background task.
import type { GuestNic } from "../contract/guest";
import { MAX_GUEST_NICS, type GuestNicInfo } from "../contract/guest-nics";
import { canHotplugNics } from "../domain/driver";
import { AppError, invalidState, notFound } from "../domain/errors";
import { parseGuestId } from "../domain/ids";
import type { DriverRegistry } from "./driver-registry";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestLocks } from "./guest-locks";
import type { FieldOf, GuestNics } from "./guest-nics";

/** A hotplug body names its fields directly (`network`, `address`). */
const bodyField: FieldOf = (_, key) => key;

export class GuestNicService {
  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
    private readonly locks: GuestLocks,
    private readonly nics: GuestNics,
  ) {}

  /** The firewall's refresh() registers here (app-server.ts): it runs after NICs changed. */
  afterChange(fn: () => Promise<void>): void {
    this.nics.afterChange(fn);
  }

  async list(id: string): Promise<GuestNicInfo[]> {
    await this.catalog.get(id);
    return this.nics.list(id);
  }

  /** Adds a NIC at the guest's lowest free index (0–7), live when it runs. */
  async add(id: string, body: GuestNic): Promise<GuestNicInfo> {
    const guest = await this.catalog.get(id);
    const driver = this.drivers.capable(id, canHotplugNics, "adding NICs");
    if (guest.state !== "running" && guest.state !== "stopped") {
      throw invalidState(`cannot add a NIC to ${guest.name}: it is ${guest.state}`);
    }
    const release = this.locks.claim(id, guest.name);
    try {
      const taken = new Set((await this.nics.list(id)).map((n) => n.index));
      const index = [...Array(MAX_GUEST_NICS).keys()].find((i) => !taken.has(i));
      if (index === undefined) {
        throw new AppError(
          "VALIDATION",
          `network: ${guest.name} has ${MAX_GUEST_NICS} NICs already (the most a guest may have)`,
        );
      }
      const uuid = parseGuestId(id)?.uuid ?? id;
      const resolved = await this.nics.resolve([body], { kind: guest.kind, uuid }, bodyField, [index]);
      const [nic] = await this.nics.record(id, resolved, bodyField);
      try {
        await this.nics.syncGuest(id);
        await driver.attachNic(id, { ...nic!, index, iface: nic!.iface! });
      } catch (e) {
        await this.nics.drop(id, (n) => n.mac === nic!.mac);
        throw e;
      }
      await this.nics.notify();
      return (await this.nics.list(id)).find((n) => n.mac === nic!.mac)!;
    } finally {
      release();
    }
  }

  /** Unplugs the NIC (live when the guest runs) and drops its row and entries. */
  async remove(id: string, nicId: string): Promise<void> {
    const guest = await this.catalog.get(id);
    const driver = this.drivers.capable(id, canHotplugNics, "removing NICs");
    if (guest.state !== "running" && guest.state !== "stopped") {
      throw invalidState(`cannot remove a NIC of ${guest.name}: it is ${guest.state}`);
    }
    const release = this.locks.claim(id, guest.name);
    try {
      const nic = (await this.nics.list(id)).find((n) => n.id === nicId);
      if (!nic) throw notFound("NIC", nicId);
      await driver.detachNic(id, { index: nic.index, mac: nic.mac, iface: nic.iface, networkId: nic.network.id });
      await this.nics.drop(id, (n) => n.id === nicId);
    } finally {
      release();
    }
  }
}
