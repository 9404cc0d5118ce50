// Tandem's networks: the rows, their validation against each other and the host, the default
// NAT network made on first start, and the realizers that set each network up on the host (the
// VM driver's libvirt network, the container driver's bridge). A change is kept only if every
// realizer accepted it: the row is rolled back when one fails.
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { Network as NetworkRow } from "@prisma/client";
import { hasRole, type Role } from "../contract/auth";
import {
  networkRole,
  type CreateNetworkBody,
  type Network,
  type NetworkType,
  type UpdateNetworkBody,
} from "../contract/network";
import type { Db } from "../db/client";
import { AppError, notFound } from "../domain/errors";
import type { NetworkRealizer, NicHostEntry } from "../domain/network-realizer";
import type { Logger } from "./logger";
import { checkNetwork, type HostView, type NetworkSpec } from "./network-rules";

// The realizer interface lives in domain/ so drivers can declare theirs; re-exported for callers.
export type { NetworkRealizer, NicHostEntry } from "../domain/network-realizer";

/** What the host has now: every interface (up or down, with or without addresses). */
export function readHost(): HostView {
  let interfaces: string[] = [];
  try {
    interfaces = readdirSync("/sys/class/net");
  } catch {
    interfaces = Object.keys(networkInterfaces());
  }
  const addresses = Object.entries(networkInterfaces()).flatMap(([iface, list]) =>
    (list ?? []).filter((a) => a.cidr).map((a) => ({ iface, cidr: a.cidr! })),
  );
  return { interfaces, addresses };
}

/** Subnets tried in turn for the default NAT network; the first one free on this host wins. */
export const DEFAULT_CANDIDATES = ["10.88.0.0/16", "10.86.0.0/16", "10.84.0.0/16", "172.30.0.0/16"];

/** The default network on a /16: gateway .0.1, DHCP in the upper half, the lower half for fixed addresses. */
export function defaultNetworkBody(subnet: string): CreateNetworkBody {
  const [a, b] = subnet.split(".");
  return {
    name: "default",
    type: "nat",
    ipv4: {
      subnet,
      gateway: `${a}.${b}.0.1`,
      dhcp: { start: `${a}.${b}.128.1`, end: `${a}.${b}.255.254` },
    },
    ipv6: null,
    dnsNames: true,
  };
}

const specOf = (r: NetworkRow): NetworkSpec => ({
  name: r.name,
  type: r.type as NetworkType,
  ipv4:
    r.ipv4Subnet && r.ipv4Gateway
      ? {
          subnet: r.ipv4Subnet,
          gateway: r.ipv4Gateway,
          dhcp: r.dhcpStart && r.dhcpEnd ? { start: r.dhcpStart, end: r.dhcpEnd } : null,
        }
      : null,
  ipv6: r.ipv6Subnet && r.ipv6Gateway ? { subnet: r.ipv6Subnet, gateway: r.ipv6Gateway } : null,
  uplink: r.uplink,
  vlan: r.vlanId !== null && r.vlanParent ? { id: r.vlanId, parent: r.vlanParent } : null,
  dnsForwarders: JSON.parse(r.dnsForwarders) as string[],
  dnsNames: r.dnsNames,
});

const columnsOf = (s: NetworkSpec) => ({
  name: s.name,
  type: s.type,
  ipv4Subnet: s.ipv4?.subnet ?? null,
  ipv4Gateway: s.ipv4?.gateway ?? null,
  dhcpStart: s.ipv4?.dhcp?.start ?? null,
  dhcpEnd: s.ipv4?.dhcp?.end ?? null,
  ipv6Subnet: s.ipv6?.subnet ?? null,
  ipv6Gateway: s.ipv6?.gateway ?? null,
  uplink: s.uplink,
  vlanId: s.vlan?.id ?? null,
  vlanParent: s.vlan?.parent ?? null,
  dnsForwarders: JSON.stringify(s.dnsForwarders),
  dnsNames: s.dnsNames,
});

export class NetworkService {
  private readonly realizers: NetworkRealizer[] = [];
  /** One change at a time: two creates must not both pass the overlap check. */
  private chain: Promise<unknown> = Promise.resolve();
  private hostSync: ((networkId: string) => Promise<void>) | null = null;

  constructor(
    private readonly db: Db,
    private readonly opts: {
      /** Blocks that are taken outside Tandem's networks (the container subnet). */
      taken: { cidr: string; what: string }[];
      host?: () => HostView;
      log: Logger;
    },
  ) {}

  /** The drivers register theirs at start. */
  addRealizer(r: NetworkRealizer): void {
    this.realizers.push(r);
  }

  /**
   * Called after a network changed (its dnsNames may have): the guests' NICs (guest-nics.ts)
   * set their host entries again.
   */
  onChanged(sync: (networkId: string) => Promise<void>): void {
    this.hostSync = sync;
  }

  /** A NIC's DHCP reservation / DNS names on network `networkId`, at every realizer that keeps them. */
  async setHost(networkId: string, entry: NicHostEntry): Promise<void> {
    const network = await this.rowAsNetwork(networkId);
    for (const r of this.realizers) await r.setHost?.(network, entry);
  }

  /** Drops a NIC's entries; a network that is gone has none left. */
  async removeHost(networkId: string, entry: NicHostEntry): Promise<void> {
    const row = await this.db.network.findUnique({ where: { id: networkId } });
    if (!row) return;
    const network = this.toNetwork(row, []);
    for (const r of this.realizers) await r.removeHost?.(network, entry);
  }

  private async rowAsNetwork(id: string): Promise<Network> {
    const row = await this.db.network.findUnique({ where: { id } });
    if (!row) throw notFound("network", id);
    return this.toNetwork(row, []);
  }

  async list(): Promise<Network[]> {
    const rows = await this.db.network.findMany({ orderBy: { createdAt: "asc" } });
    const users = await this.usersOf(rows.map((r) => r.id));
    return rows.map((r) => this.toNetwork(r, users.get(r.id) ?? []));
  }

  async get(id: string): Promise<Network> {
    const row = await this.db.network.findUnique({ where: { id } });
    if (!row) throw notFound("network", id);
    return this.toNetwork(row, (await this.usersOf([id])).get(id) ?? []);
  }

  async create(role: Role, body: CreateNetworkBody): Promise<Network> {
    const spec: NetworkSpec = {
      name: body.name,
      type: body.type,
      ipv4: body.ipv4 ?? null,
      ipv6: body.ipv6 ?? null,
      uplink: body.uplink ?? null,
      vlan: body.vlan ?? null,
      dnsForwarders: body.dnsForwarders ?? [],
      // Name resolution comes from the network's dnsmasq, which bridged and vlan networks have not.
      dnsNames: body.dnsNames ?? (body.type !== "bridged" && body.type !== "vlan"),
    };
    this.mayManage(role, spec.type);
    return this.serial(async () => {
      checkNetwork(spec, await this.context(null));
      const row = await this.db.network.create({
        data: { id: randomUUID(), bridge: await this.freeBridgeName(), ...columnsOf(spec) },
      });
      const network = this.toNetwork(row, []);
      const done: NetworkRealizer[] = [];
      try {
        for (const r of this.realizers) {
          await r.ensure(network);
          done.push(r);
        }
      } catch (err) {
        await this.undo(done.reverse(), (r) => r.remove(network), "create");
        await this.db.network.delete({ where: { id: row.id } });
        throw err;
      }
      return network;
    });
  }

  async update(role: Role, id: string, body: UpdateNetworkBody): Promise<Network> {
    return this.serial(async () => {
      const row = await this.db.network.findUnique({ where: { id } });
      if (!row) throw notFound("network", id);
      const before = specOf(row);
      this.mayManage(role, before.type);
      const next: NetworkSpec = {
        ...before,
        ipv4: body.ipv4 === undefined ? before.ipv4 : body.ipv4,
        ipv6: body.ipv6 === undefined ? before.ipv6 : body.ipv6,
        dnsForwarders: body.dnsForwarders ?? before.dnsForwarders,
        dnsNames: body.dnsNames ?? before.dnsNames,
      };
      const readdressed =
        before.ipv4?.subnet !== next.ipv4?.subnet ||
        before.ipv4?.gateway !== next.ipv4?.gateway ||
        before.ipv6?.subnet !== next.ipv6?.subnet ||
        before.ipv6?.gateway !== next.ipv6?.gateway;
      const users = (await this.usersOf([id])).get(id) ?? [];
      if (readdressed && users.length) {
        const field =
          before.ipv4?.subnet !== next.ipv4?.subnet || before.ipv4?.gateway !== next.ipv4?.gateway ? "ipv4" : "ipv6";
        throw new AppError(
          "CONFLICT",
          `${field}: the addressing of '${before.name}' cannot change while guests use it: ${names(users)}`,
          { field },
        );
      }
      checkNetwork(next, await this.context(id));
      const updated = await this.db.network.update({ where: { id }, data: columnsOf(next) });
      const network = this.toNetwork(updated, users);
      const done: NetworkRealizer[] = [];
      try {
        for (const r of this.realizers) {
          await r.update(network);
          done.push(r);
        }
      } catch (err) {
        const restored = await this.db.network.update({ where: { id }, data: columnsOf(before) });
        const old = this.toNetwork(restored, users);
        await this.undo(done.reverse(), (r) => r.update(old), "update");
        throw err;
      }
      await this.hostSync?.(id);
      return network;
    });
  }

  async remove(role: Role, id: string): Promise<void> {
    return this.serial(async () => {
      const row = await this.db.network.findUnique({ where: { id } });
      if (!row) throw notFound("network", id);
      this.mayManage(role, row.type as NetworkType);
      const users = (await this.usersOf([id])).get(id) ?? [];
      if (users.length) {
        throw new AppError("CONFLICT", `network '${row.name}' is in use by ${names(users)}`, {
          guests: users.map((u) => u.id),
        });
      }
      const network = this.toNetwork(row, []);
      await this.db.network.delete({ where: { id } });
      const done: NetworkRealizer[] = [];
      try {
        for (const r of this.realizers) {
          await r.remove(network);
          done.push(r);
        }
      } catch (err) {
        await this.db.network.create({ data: row });
        await this.undo(done.reverse(), (r) => r.ensure(network), "delete");
        throw err;
      }
    });
  }

  /**
   * At every start: a VLAN network's host links (its bridge and 802.1Q link, made by the VM
   * driver's realizer) do not survive a host reboot, and libvirt's autostart cannot make them,
   * so each realizer sets every VLAN network up again (idempotent: what exists is kept). Other
   * types are libvirt's to autostart. A failure is logged, not fatal: the rest of Tandem serves.
   */
  async restoreVlans(): Promise<void> {
    const rows = await this.db.network.findMany({ where: { type: "vlan" } });
    for (const row of rows) {
      const network = this.toNetwork(row, (await this.usersOf([row.id])).get(row.id) ?? []);
      for (const r of this.realizers) {
        await r.ensure(network).catch((err: unknown) => {
          this.opts.log.warn({ err, network: row.name }, "could not set the VLAN network up again");
        });
      }
    }
  }

  /**
   * On first start (no network at all) make the default NAT network on the first candidate
   * subnet that is free here. A failure is logged, not fatal: Tandem still serves without it.
   */
  async ensureDefault(): Promise<Network | null> {
    if ((await this.db.network.count()) > 0) return null;
    for (const subnet of DEFAULT_CANDIDATES) {
      try {
        return await this.create("admin", defaultNetworkBody(subnet));
      } catch (err) {
        if (err instanceof AppError && err.code === "CONFLICT" && /subnet/.test(err.message)) continue;
        this.opts.log.warn({ err }, "could not create the default network");
        return null;
      }
    }
    this.opts.log.warn({ tried: DEFAULT_CANDIDATES }, "no free subnet for the default network");
    return null;
  }

  private mayManage(role: Role, type: NetworkType): void {
    const need = networkRole(type);
    if (!hasRole(role, need)) {
      throw new AppError("FORBIDDEN", `${type} networks change host interfaces: this needs the ${need} role`);
    }
  }

  private async context(self: string | null) {
    const rows = await this.db.network.findMany({ where: self ? { id: { not: self } } : {} });
    const all = await this.db.network.findMany({ select: { bridge: true } });
    return {
      others: rows.map((r) => ({ ...specOf(r), bridge: r.bridge })),
      taken: this.opts.taken,
      host: (this.opts.host ?? readHost)(),
      ownBridges: new Set(all.map((r) => r.bridge)),
    };
  }

  /** `tdn` + 8 hex digits: 11 characters, under the kernel's 15, and Tandem's by its prefix. */
  private async freeBridgeName(): Promise<string> {
    for (;;) {
      const name = `tdn${randomBytes(4).toString("hex")}`;
      if (!(await this.db.network.findUnique({ where: { bridge: name } }))) return name;
    }
  }

  /** The guests with a NIC on each network, by name where Tandem knows it. */
  private async usersOf(ids: string[]): Promise<Map<string, { id: string; name: string }[]>> {
    const nics = await this.db.nic.findMany({
      where: { networkId: { in: ids } },
      select: { networkId: true, guestId: true },
    });
    const metas = await this.db.guestMeta.findMany({
      where: { guestId: { in: [...new Set(nics.map((n) => n.guestId))] } },
      select: { guestId: true, name: true },
    });
    const nameOf = new Map(metas.map((m) => [m.guestId, m.name]));
    const out = new Map<string, { id: string; name: string }[]>();
    for (const n of nics) {
      const list = out.get(n.networkId) ?? [];
      if (!list.some((u) => u.id === n.guestId)) list.push({ id: n.guestId, name: nameOf.get(n.guestId) ?? n.guestId });
      out.set(n.networkId, list);
    }
    return out;
  }

  private toNetwork(r: NetworkRow, usedBy: { id: string; name: string }[]): Network {
    return { id: r.id, bridge: r.bridge, createdAt: r.createdAt.toISOString(), usedBy, ...specOf(r) };
  }

  private async undo(list: NetworkRealizer[], step: (r: NetworkRealizer) => Promise<void>, what: string) {
    for (const r of list) {
      await step(r).catch((err: unknown) => this.opts.log.error({ err }, `network ${what}: undoing a realizer failed`));
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }
}

const names = (users: { name: string }[]) => users.map((u) => `'${u.name}'`).join(", ");
