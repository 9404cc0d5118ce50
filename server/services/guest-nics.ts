// A guest's NICs on Tandem networks as Tandem records them (the `Nic` rows): resolving a body's
// NICs (network by id or name, a fresh MAC, the host-side interface name, a fixed address
// checked), writing the rows with each NIC's address chosen in the same transaction
// (nic-allocation.ts; the unique (network, address) index is the race backstop), and keeping the
// networks' DHCP reservations and DNS names (NetworkService.setHost) in step with the rows: set
// before the guest runs, set again on rename or a network change, dropped with the rows.
import { randomBytes, randomUUID } from "node:crypto";
import { Prisma, type Nic } from "@prisma/client";
import type { GuestKind, GuestNic } from "../contract/guest";
import { guestBridge, type NetworkType } from "../contract/network";
import { MAX_GUEST_NICS, type GuestNicInfo } from "../contract/guest-nics";
import type { Db } from "../db/client";
import type { ResolvedNic } from "../domain/driver";
import { AppError } from "../domain/errors";
import { parseGuestId } from "../domain/ids";
import type { NicHostEntry } from "../domain/network-realizer";
import type { Logger } from "./logger";
import type { NetworkService } from "./network-service";
import { assignsAddresses, checkFixedAddress, lowestFreeAddress } from "./nic-allocation";

/** 52:54:00 is the prefix libvirt and QEMU give KVM guests: locally administered, never a vendor's. */
export function randomMac(): string {
  return ["52", "54", "00", ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/**
 * The host side of NIC `index` of guest `uuid`: `vn` (a container's veth, as network-attach.ts
 * names it) or `tn` (a VM's tap; libvirt reserves vnet/vif/macvtap) + 11 hex digits of the uuid
 * + the index: 14 characters, under the kernel's 15.
 */
export function hostIfaceName(kind: GuestKind, uuid: string, index: number): string {
  const hex = uuid.replace(/-/g, "").toLowerCase().slice(0, 11);
  return `${kind === "vm" ? "tn" : "vn"}${hex}${index.toString(36)}`;
}

/** The guest's DNS name when it is one DNS label (a name with '.' or '_' gets none). */
const dnsLabel = (name: string) => (/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name) ? name.toLowerCase() : null);

/** Where a body's NIC field is: `nics[i].network` for a create body, `network` for a hotplug one. */
export type FieldOf = (i: number, key: "network" | "address") => string;
export const createField: FieldOf = (i, key) => `nics[${i}].${key}`;

const GUEST_DOMAIN = "tandem.internal";

export class GuestNics {
  /** Run after NICs were added or removed (the firewall's refresh registers here). */
  private readonly changed: (() => Promise<void>)[] = [];

  constructor(
    private readonly db: Db,
    private readonly networks: NetworkService,
    private readonly log: Logger,
  ) {
    networks.onChanged((id) => this.syncNetwork(id));
  }

  /**
   * H1's firewall (nft rules keyed on Nic.iface/address/mac) registers its refresh() here; it
   * runs after every create, hotplug and removal that changed Nic rows.
   */
  afterChange(fn: () => Promise<void>): void {
    this.changed.push(fn);
  }

  /**
   * Each NIC's network by id, else by name (400 naming the field), a fixed address checked
   * (400; 409 when another NIC has it), a MAC and the host interface name. `first`: the index
   * of the first NIC (a hotplug adds at the guest's lowest free index).
   */
  async resolve(
    nics: readonly GuestNic[],
    guest: { kind: GuestKind; uuid: string },
    field: FieldOf = createField,
    indexes: readonly number[] = nics.map((_, i) => i),
  ): Promise<ResolvedNic[]> {
    const out: ResolvedNic[] = [];
    for (const [i, n] of nics.entries()) {
      const row =
        (await this.db.network.findUnique({ where: { id: n.network } })) ??
        (await this.db.network.findUnique({ where: { name: n.network } }));
      if (!row) throw new AppError("VALIDATION", `${field(i, "network")}: no network '${n.network}'`);
      const assigns = assignsAddresses(row);
      if (n.address !== undefined) {
        // A VM on a bridged network is addressed by the LAN's DHCP: a fixed address could not be applied.
        if (!assigns && guest.kind === "vm") {
          throw new AppError(
            "VALIDATION",
            `${field(i, "address")}: on '${row.name}' (${row.type}${row.ipv4Subnet ? "" : ", no IPv4"}) the LAN's DHCP or nothing addresses a VM; it cannot get a fixed address there`,
          );
        }
        checkFixedAddress(row, n.address, field(i, "address"));
        const taken =
          out.some((o) => o.networkId === row.id && o.address === n.address) ||
          (await this.db.nic.findFirst({ where: { networkId: row.id, address: n.address } }));
        if (taken) {
          throw new AppError("CONFLICT", `${field(i, "address")}: ${n.address} is taken on '${row.name}'`, {
            field: field(i, "address"),
          });
        }
      } else if (!assigns && guest.kind === "container") {
        // A container's addresses are configured by Tandem; nothing would give it one here.
        throw new AppError(
          "VALIDATION",
          `${field(i, "address")}: a container on '${row.name}' (${row.type}${row.ipv4Subnet ? "" : ", no IPv4"}) needs a fixed address: Tandem assigns none there`,
        );
      }
      const index = indexes[i]!;
      out.push({
        networkId: row.id,
        mac: await this.freeMac(out),
        address: n.address ?? null,
        addressFixed: n.address !== undefined,
        iface: hostIfaceName(guest.kind, guest.uuid, index),
        index,
        network: {
          name: row.name,
          bridge: guestBridge({ ...row, type: row.type as NetworkType }),
          ipv4Subnet: row.ipv4Subnet,
          ipv4Gateway: row.ipv4Gateway,
        },
      });
    }
    return out;
  }

  /**
   * Writes the guest's rows, giving each NIC without a fixed address the lowest free one, in one
   * transaction (before its driver makes the guest: the networks are held from then on), and
   * returns the NICs with their addresses.
   */
  async record(guestId: string, nics: readonly ResolvedNic[], field: FieldOf = createField): Promise<ResolvedNic[]> {
    try {
      return await this.db.$transaction(async (tx) => {
        const out: ResolvedNic[] = [];
        for (const [i, n] of nics.entries()) {
          let address = n.address;
          if (address === null) {
            const net = await tx.network.findUniqueOrThrow({ where: { id: n.networkId } });
            if (assignsAddresses(net)) {
              const rows = await tx.nic.findMany({
                where: { networkId: n.networkId, address: { not: null } },
                select: { address: true },
              });
              const used = new Set([...rows.map((r) => r.address!), ...out.map((o) => o.address ?? "")]);
              address = lowestFreeAddress(net, used);
            }
          }
          await tx.nic.create({
            data: {
              id: randomUUID(),
              guestId,
              networkId: n.networkId,
              mac: n.mac,
              address,
              addressFixed: n.addressFixed ?? false,
              iface: n.iface ?? null,
              index: n.index ?? i,
            },
          });
          out.push({ ...n, address });
        }
        return out;
      });
    } catch (e) {
      if (e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002") {
        // Another create took the address between the check and this write.
        const i = Math.max(
          0,
          nics.findIndex((n) => n.addressFixed),
        );
        throw new AppError("CONFLICT", `${field(i, "address")}: the address was just taken; try again`);
      }
      throw e;
    }
  }

  /**
   * A clone's NICs: the source's networks at the same indexes, each with a fresh MAC and host
   * interface; the address is Tandem's choice again (a fixed one is the source's, not copied).
   */
  async forClone(
    sourceId: string,
    guest: { kind: GuestKind; uuid: string },
  ): Promise<(ResolvedNic & { from: string })[]> {
    const rows = await this.db.nic.findMany({
      where: { guestId: sourceId },
      orderBy: { index: "asc" },
      include: { network: true },
    });
    const out: (ResolvedNic & { from: string })[] = [];
    for (const r of rows) {
      const net = { ...r.network, type: r.network.type as NetworkType };
      out.push({
        networkId: r.networkId,
        mac: await this.freeMac(out),
        address: null,
        addressFixed: false,
        iface: hostIfaceName(guest.kind, guest.uuid, r.index),
        index: r.index,
        network: { name: net.name, bridge: guestBridge(net), ipv4Subnet: net.ipv4Subnet, ipv4Gateway: net.ipv4Gateway },
        from: r.mac,
      });
    }
    return out;
  }

  /** The guest's NICs in index order, with their networks' names. */
  async list(guestId: string): Promise<GuestNicInfo[]> {
    const rows = await this.db.nic.findMany({
      where: { guestId },
      orderBy: { index: "asc" },
      include: { network: true },
    });
    return rows.map((r) => ({
      id: r.id,
      index: r.index,
      network: { id: r.network.id, name: r.network.name },
      mac: r.mac,
      address: r.address,
      addressFixed: r.addressFixed,
      iface: r.iface,
    }));
  }

  /** Sets the DHCP reservations / DNS names of every NIC of the guest (create, rename, hotplug). */
  async syncGuest(guestId: string): Promise<void> {
    const rows = await this.db.nic.findMany({ where: { guestId }, orderBy: { index: "asc" } });
    for (const r of rows) {
      const entry = await this.entryOf(r);
      if (entry) await this.networks.setHost(r.networkId, entry);
    }
  }

  /** syncGuest after a change that is done already (a rename): a failure is logged, not thrown. */
  async resync(guestId: string): Promise<void> {
    await this.syncGuest(guestId).catch((err: unknown) =>
      this.log.warn({ err, guestId }, "could not update NIC host entries"),
    );
  }

  /** Every NIC's entries on one network again (its dnsNames or definition changed). */
  async syncNetwork(networkId: string): Promise<void> {
    const rows = await this.db.nic.findMany({ where: { networkId } });
    for (const r of rows) {
      const entry = await this.entryOf(r);
      if (entry)
        await this.networks.setHost(networkId, entry).catch((err: unknown) => this.log.warn({ err }, "NIC host entry"));
    }
  }

  /** Deletes the guest's NIC rows that `which` picks and drops their entries (hotplug removal or undo). */
  async drop(guestId: string, which: (n: Nic) => boolean): Promise<void> {
    const rows = (await this.db.nic.findMany({ where: { guestId } })).filter(which);
    await this.db.nic.deleteMany({ where: { id: { in: rows.map((r) => r.id) } } });
    await this.released(rows);
  }

  /**
   * Drops the entries of NIC rows that are gone (deleted guest, detached NIC); logs, never throws.
   * `guestName`: the guest itself went, so another guest of that name on those networks (kept
   * nameless while the older one had it) now gets it.
   */
  async released(rows: readonly Pick<Nic, "networkId" | "mac" | "address">[], guestName?: string): Promise<void> {
    for (const r of rows) {
      if (!r.address) continue;
      await this.networks
        .removeHost(r.networkId, { mac: r.mac, address: r.address, dhcp: true, names: [] })
        .catch((err: unknown) => this.log.warn({ err, mac: r.mac }, "could not remove a NIC's host entries"));
    }
    if (guestName) {
      const heirs = await this.db.guestMeta.findMany({ where: { name: guestName }, select: { guestId: true } });
      const onNets = await this.db.nic.findMany({
        where: { guestId: { in: heirs.map((h) => h.guestId) }, networkId: { in: rows.map((r) => r.networkId) } },
        select: { guestId: true },
      });
      for (const g of new Set(onNets.map((n) => n.guestId))) await this.resync(g);
    }
    await this.notify();
  }

  /** Tells the listeners (firewall) that NIC rows changed; their failures are logged. */
  async notify(): Promise<void> {
    for (const fn of this.changed) await fn().catch((err: unknown) => this.log.error({ err }, "after NIC change"));
  }

  /**
   * One NIC's entries: a DHCP reservation for a VM's NIC; DNS names on a network with dnsNames
   * for the guest's first NIC there, unless another guest on it has the same name (first come).
   */
  private async entryOf(r: Nic): Promise<NicHostEntry | null> {
    if (!r.address) return null;
    const kind = parseGuestId(r.guestId)?.kind ?? "vm";
    const net = await this.db.network.findUnique({ where: { id: r.networkId } });
    if (!net || !assignsAddresses(net)) return null;
    let names: string[] = [];
    const meta = await this.db.guestMeta.findUnique({ where: { guestId: r.guestId } });
    const label = meta && net.dnsNames ? dnsLabel(meta.name) : null;
    if (label) {
      const first = await this.db.nic.findFirst({
        where: { guestId: r.guestId, networkId: r.networkId },
        orderBy: { index: "asc" },
      });
      const others = await this.db.nic.findMany({
        where: { networkId: r.networkId, guestId: { not: r.guestId } },
        select: { guestId: true },
      });
      // Two guests of one name on a network (a VM and a container may share one): the older keeps it.
      const clash = await this.db.guestMeta.findFirst({
        where: {
          guestId: { in: others.map((o) => o.guestId) },
          name: meta!.name,
          OR: [{ createdAt: { lt: meta!.createdAt } }, { createdAt: meta!.createdAt, guestId: { lt: meta!.guestId } }],
        },
      });
      if (first?.id === r.id && !clash) names = [label, `${label}.${GUEST_DOMAIN}`];
    }
    return { mac: r.mac, address: r.address, dhcp: kind === "vm", names };
  }

  /** A MAC no recorded NIC (nor one picked for this guest) has; 2^24 of them, so a clash is rare. */
  private async freeMac(picked: readonly ResolvedNic[]): Promise<string> {
    for (;;) {
      const mac = randomMac();
      if (picked.some((p) => p.mac === mac)) continue;
      if (!(await this.db.nic.findUnique({ where: { mac } }))) return mac;
    }
  }
}

export { MAX_GUEST_NICS };
