// Port forwards (a host port to one NIC of a guest on a Tandem network, both kinds) and each
// guest's inbound firewall rules: the rows, their validation (the admin's port range, a host port
// taken on the host or by another forward, a NIC that can be reached), and a firewall refresh
// after every change (network-firewall.ts). A guest's forwards go with its NICs (PortForward
// cascades from Nic); its rules with the guest (NetworkFirewall.forgetGuest).
import { randomUUID } from "node:crypto";
import type { FirewallBody, FirewallRule, CreateForwardBody, PortForward } from "../contract/forwards";
import type { Db } from "../db/client";
import { AppError, notFound } from "../domain/errors";
import type { NetworkFirewall } from "./network-firewall";

type ForwardRow = {
  id: string;
  guestId: string;
  nicId: string;
  protocol: string;
  hostPort: number;
  guestPort: number;
  nic: { networkId: string; address: string | null };
};

export interface ForwardPorts {
  hostPort: number;
  guestPort: number;
  protocol: "tcp" | "udp";
}

export class PortForwards {
  /** One forward change at a time: the taken-port check and the insert must not interleave. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly firewall: NetworkFirewall,
    private readonly opts: {
      range: { first: number; last: number };
      /** Tandem's own port (TANDEM_PORT): never forwarded, whatever the range says. */
      tandemPort?: number;
      /** The guest's name (throws NOT_FOUND for an unknown guest). */
      guestName: (guestId: string) => Promise<string>;
    },
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async list(guestId: string): Promise<PortForward[]> {
    const name = await this.opts.guestName(guestId);
    const rows = await this.db.portForward.findMany({
      where: { guestId },
      include: { nic: true },
      orderBy: { createdAt: "asc" },
    });
    return rows.map((r) => view(r, name));
  }

  /** Every forward to a guest on the network, for its page. */
  async listForNetwork(networkId: string): Promise<PortForward[]> {
    if (!(await this.db.network.findUnique({ where: { id: networkId } }))) throw notFound("network", networkId);
    const rows = await this.db.portForward.findMany({
      where: { nic: { networkId } },
      include: { nic: true },
      orderBy: { createdAt: "asc" },
    });
    const names = new Map<string, string>();
    for (const r of rows) {
      if (!names.has(r.guestId)) names.set(r.guestId, await this.opts.guestName(r.guestId).catch(() => r.guestId));
    }
    return rows.map((r) => view(r, names.get(r.guestId)!));
  }

  async create(guestId: string, body: CreateForwardBody): Promise<PortForward> {
    const name = await this.opts.guestName(guestId);
    return this.serial(async () => {
      const nic = await this.pickNic(guestId, body.nic);
      await this.checkFree(body, "hostPort");
      const row = await this.db.portForward.create({
        data: { id: randomUUID(), guestId, nicId: nic.id, ...ports(body) },
        include: { nic: true },
      });
      await this.applyOrUndo([row.id], "hostPort");
      return view(row, name);
    });
  }

  async remove(guestId: string, forwardId: string): Promise<void> {
    await this.opts.guestName(guestId);
    await this.serial(async () => {
      const { count } = await this.db.portForward.deleteMany({ where: { id: forwardId, guestId } });
      if (!count) throw notFound("forward", forwardId);
      await this.firewall.refresh();
    });
  }

  /**
   * The checks a create body's `ports` (with `nics`) must pass before the guest is made: in the
   * range, free on the host and among forwards. `field` names the body's field (`ports`).
   */
  async check(list: readonly ForwardPorts[], field = "ports"): Promise<void> {
    const seen = new Set<string>();
    for (const [i, p] of list.entries()) {
      const key = `${p.protocol}/${p.hostPort}`;
      if (seen.has(key)) throw new AppError("VALIDATION", `${field}[${i}].hostPort: ${key} is listed twice`);
      seen.add(key);
      await this.checkFree(p, `${field}[${i}].hostPort`);
    }
  }

  /** The create body's `ports` become forwards on the guest's first NIC (its Nic rows written). */
  async createForNewGuest(guestId: string, list: readonly ForwardPorts[]): Promise<void> {
    if (!list.length) return;
    await this.serial(async () => {
      const nic = await this.pickNic(guestId, 0, "ports");
      for (const [i, p] of list.entries()) await this.checkFree(p, `ports[${i}].hostPort`);
      const ids = list.map(() => randomUUID());
      await this.db.$transaction(
        list.map((p, i) => this.db.portForward.create({ data: { id: ids[i]!, guestId, nicId: nic.id, ...ports(p) } })),
      );
      await this.applyOrUndo(ids, "ports");
    });
  }

  async getFirewall(guestId: string): Promise<FirewallRule[]> {
    await this.opts.guestName(guestId);
    const rows = await this.db.firewallRule.findMany({ where: { guestId }, orderBy: { position: "asc" } });
    return rows.map((r) => ({
      action: r.action as FirewallRule["action"],
      protocol: r.protocol as FirewallRule["protocol"],
      ...(r.portStart !== null ? { ports: { start: r.portStart, end: r.portEnd ?? r.portStart } } : {}),
      ...(r.source !== null ? { source: r.source } : {}),
    }));
  }

  async putFirewall(guestId: string, body: FirewallBody): Promise<FirewallRule[]> {
    await this.opts.guestName(guestId);
    for (const [i, r] of body.rules.entries()) {
      if (r.ports && r.protocol !== "tcp" && r.protocol !== "udp") {
        throw new AppError("VALIDATION", `rules[${i}].ports: ports apply to tcp or udp, not ${r.protocol}`, {
          field: `rules[${i}].ports`,
        });
      }
    }
    await this.db.$transaction([
      this.db.firewallRule.deleteMany({ where: { guestId } }),
      ...body.rules.map((r, position) =>
        this.db.firewallRule.create({
          data: {
            id: randomUUID(),
            guestId,
            position,
            action: r.action,
            protocol: r.protocol,
            portStart: r.ports?.start ?? null,
            portEnd: r.ports?.end ?? null,
            source: r.source ?? null,
          },
        }),
      ),
    ]);
    await this.firewall.refresh();
    return this.getFirewall(guestId);
  }

  /** The NIC by id or index; by default the first on a network with IPv4 that Tandem routes. */
  private async pickNic(guestId: string, which: string | number | undefined, field = "nic") {
    const nics = await this.db.nic.findMany({
      where: { guestId },
      include: { network: true },
      orderBy: { index: "asc" },
    });
    const routed = (n: (typeof nics)[number]) =>
      (n.network.type === "nat" || n.network.type === "isolated") && n.network.ipv4Subnet !== null;
    const nic =
      which === undefined
        ? nics.find(routed)
        : nics.find((n) => (typeof which === "number" ? n.index === which : n.id === which));
    if (!nic) {
      throw new AppError(
        "VALIDATION",
        which === undefined || field !== "nic"
          ? `${field}: the guest has no NIC on an isolated or NAT network with IPv4 to forward to`
          : `nic: the guest has no NIC '${which}'`,
        { field },
      );
    }
    if (!routed(nic)) {
      throw new AppError(
        "VALIDATION",
        `${field}: NIC ${nic.index} is on the ${nic.network.type} network '${nic.network.name}'; forwards reach guests on isolated or NAT networks with IPv4`,
        { field },
      );
    }
    return nic;
  }

  /** In the admin's range, not forwarded already, bindable on the host now. */
  private async checkFree(p: ForwardPorts, field: string): Promise<void> {
    const { first, last } = this.opts.range;
    if (p.hostPort < first || p.hostPort > last) {
      throw new AppError(
        "VALIDATION",
        `${field}: ${p.hostPort} is outside the host ports guests may use (TANDEM_PUBLISH_PORT_RANGE ${first}-${last})`,
        { field },
      );
    }
    if (p.hostPort === this.opts.tandemPort) {
      throw new AppError("CONFLICT", `${field}: ${p.hostPort} is Tandem's own port`, { field });
    }
    const other = await this.db.portForward.findUnique({
      where: { protocol_hostPort: { protocol: p.protocol, hostPort: p.hostPort } },
    });
    if (other) {
      const name = await this.opts.guestName(other.guestId).catch(() => other.guestId);
      throw new AppError("CONFLICT", `${field}: ${p.protocol}/${p.hostPort} is already forwarded to '${name}'`, {
        field,
      });
    }
    await this.firewall.probePort(p).catch((e: NodeJS.ErrnoException) => {
      throw new AppError(
        "CONFLICT",
        `${field}: ${p.protocol}/${p.hostPort} is in use on the host (${e.code ?? e.message})`,
        { field },
      );
    });
  }

  /** Applies the rows; a new forward whose port was taken meanwhile is removed again (409). */
  private async applyOrUndo(ids: string[], field: string): Promise<void> {
    let failed;
    try {
      failed = (await this.firewall.refresh()).filter((f) => ids.includes(f.forward.id));
    } catch (e) {
      await this.db.portForward.deleteMany({ where: { id: { in: ids } } });
      await this.firewall.refresh().catch(() => undefined);
      throw e;
    }
    if (!failed.length) return;
    await this.db.portForward.deleteMany({ where: { id: { in: ids } } });
    await this.firewall.refresh();
    const f = failed[0]!;
    throw new AppError(
      "CONFLICT",
      `${field}: ${f.forward.protocol}/${f.forward.hostPort} is in use on the host (${f.code})`,
      { field },
    );
  }
}

const ports = (p: ForwardPorts) => ({ protocol: p.protocol, hostPort: p.hostPort, guestPort: p.guestPort });

function view(r: ForwardRow, guestName: string): PortForward {
  return {
    id: r.id,
    guestId: r.guestId,
    guestName,
    nicId: r.nicId,
    networkId: r.nic.networkId,
    guestAddress: r.nic.address,
    protocol: r.protocol as PortForward["protocol"],
    hostPort: r.hostPort,
    guestPort: r.guestPort,
  };
}
