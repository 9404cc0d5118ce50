// Keeps the host firewall of Tandem networks (domain/host-firewall.ts, applied by the netfilter
// driver) equal to the database: builds its state from the Network, Nic, PortForward and
// FirewallRule rows and applies it. Called at start, as the last realizer of every network change
// (so a network the firewall cannot cover is refused and rolled back), after a guest changes or
// goes, and by whoever changes NICs, forwards or firewall rules (`refresh()`). Refreshes coalesce:
// one runs, at most one more waits, and it reads the rows when its turn comes.
import type { Network } from "../contract/network";
import type { Db } from "../db/client";
import type {
  FirewallNetwork,
  FirewallRuleSpec,
  ForwardFailure,
  HostFirewall,
  HostFirewallState,
} from "../domain/host-firewall";
import type { NetworkRealizer } from "../domain/network-realizer";
import type { Logger } from "./logger";

export class NetworkFirewall {
  private running: Promise<ForwardFailure[]> | null = null;
  private waiting: Promise<ForwardFailure[]> | null = null;

  constructor(
    private readonly db: Db,
    /** null: no firewall driver (the fake driver, tests without nft): nothing is applied. */
    private readonly firewall: HostFirewall | null,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.firewall !== null;
  }

  /** The state from the rows, as the firewall wants it. */
  async state(): Promise<HostFirewallState> {
    const [networks, nics, forwards, rules] = await Promise.all([
      this.db.network.findMany({ orderBy: { createdAt: "asc" } }),
      this.db.nic.findMany({ orderBy: [{ guestId: "asc" }, { index: "asc" }] }),
      this.db.portForward.findMany({ include: { nic: true }, orderBy: { createdAt: "asc" } }),
      this.db.firewallRule.findMany({ orderBy: [{ guestId: "asc" }, { position: "asc" }] }),
    ]);
    const rulesOf = new Map<string, FirewallRuleSpec[]>();
    for (const r of rules) {
      const list = rulesOf.get(r.guestId) ?? [];
      list.push({
        action: r.action as FirewallRuleSpec["action"],
        protocol: r.protocol as FirewallRuleSpec["protocol"],
        ports: r.portStart !== null ? { start: r.portStart, end: r.portEnd ?? r.portStart } : null,
        source: r.source,
      });
      rulesOf.set(r.guestId, list);
    }
    return {
      networks: networks.map((n): FirewallNetwork => ({
        id: n.id,
        bridge: n.type === "bridged" && n.uplink ? n.uplink : n.bridge,
        type: n.type as FirewallNetwork["type"],
        ipv4: n.ipv4Subnet && n.ipv4Gateway ? { subnet: n.ipv4Subnet, gateway: n.ipv4Gateway } : null,
        ipv6: n.ipv6Subnet && n.ipv6Gateway ? { subnet: n.ipv6Subnet, gateway: n.ipv6Gateway } : null,
        uplink: n.type === "nat" ? n.uplink : null,
      })),
      nics: nics.map((n) => ({
        id: n.id,
        guestId: n.guestId,
        networkId: n.networkId,
        mac: n.mac,
        address: n.address,
        iface: n.iface,
        rules: rulesOf.get(n.guestId) ?? [],
      })),
      forwards: forwards.map((f) => ({
        id: f.id,
        protocol: f.protocol as "tcp" | "udp",
        hostPort: f.hostPort,
        guestPort: f.guestPort,
        address: f.nic.address,
      })),
    };
  }

  /** Applies the rows' state; resolves with the forwards whose host port could not be held. */
  refresh(): Promise<ForwardFailure[]> {
    const fw = this.firewall;
    if (!fw) return Promise.resolve([]);
    if (this.waiting) return this.waiting;
    const run = async () => {
      this.waiting = null;
      const failed = await fw.apply(await this.state());
      for (const f of failed) {
        this.log.warn(
          { forward: f.forward.id, hostPort: f.forward.hostPort, code: f.code },
          "a port forward's host port is taken on the host; it is not forwarded",
        );
      }
      return failed;
    };
    const next = (this.running ?? Promise.resolve()).catch(() => undefined).then(run);
    this.waiting = next;
    this.running = next;
    void next
      .finally(() => {
        if (this.running === next) this.running = null;
      })
      .catch(() => undefined);
    return next;
  }

  /** Rejects with the bind error when the host port cannot be taken now. */
  async probePort(p: { protocol: "tcp" | "udp"; hostPort: number }): Promise<void> {
    await this.firewall?.probePort(p);
  }

  /** Registered last among the network realizers: every network change is covered before it counts. */
  realizer(): NetworkRealizer {
    const sync = async (_n: Network) => void (await this.refresh());
    return { ensure: sync, update: sync, remove: sync };
  }

  /** A guest is gone: its firewall rules go too (its NICs and forwards went with its rows). */
  async forgetGuest(guestId: string): Promise<void> {
    await this.db.firewallRule.deleteMany({ where: { guestId } });
    await this.refresh();
  }

  close(): void {
    this.firewall?.close();
  }
}
