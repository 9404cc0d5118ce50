// Container networking: one Linux bridge on the host (its own subnet, no uplink, no masquerade
// to the outside, existing routes untouched), a named network namespace and a veth pair per
// container, and the packet filtering Tandem owns: one `ip` table (DNAT of published ports for
// other machines, a drop of loopback addresses arriving from the bridge, an input filter so
// containers reach on the host only what was published) and one `bridge` table (each container's
// veth pinned to its own MAC and IPv4 address), both rewritten together in one atomic `nft -f`.
// Published ports are also held open on the host by netfilter/port-holder.ts, which serves local
// clients. The pin and loopback pieces are shared with the Tandem networks' tables (netfilter/).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { AppError } from "../../../domain/errors";
import { loopbackGuard, pinChain } from "../../netfilter/nft-pieces";
import { PortHolder, portKey, type HeldPort } from "../../netfilter/port-holder";
import { run } from "./run";

export interface NetworkConfig {
  bridge: string;
  /** IPv4 CIDR, e.g. 10.89.0.0/24; the bridge takes the first host address. */
  subnet: string;
  nftTable: string;
  /** Prefix for per-container netns names. */
  netnsPrefix: string;
}

export interface Subnet {
  network: number;
  prefix: number;
  gateway: string;
  size: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`'${ip}' is not an IPv4 address`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseSubnet(cidr: string): Subnet {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`subnet '${cidr}' must look like 10.89.0.0/24`);
  const prefix = Number(m[2]);
  if (prefix < 8 || prefix > 29) throw new Error(`subnet prefix /${prefix} must be between /8 and /29`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ipToInt(m[1]!) & mask) >>> 0;
  return { network, prefix, gateway: intToIp(network + 1), size: 2 ** (32 - prefix) };
}

/** Lowest free host address (skipping network, gateway and broadcast). */
export function allocateIp(subnet: Subnet, used: Iterable<string>): string {
  const taken = new Set(used);
  for (let i = 2; i < subnet.size - 1; i++) {
    const ip = intToIp(subnet.network + i);
    if (!taken.has(ip)) return ip;
  }
  // A limit a user meets at scale (a /24 holds 253 containers): said as such, with the way out.
  throw new AppError(
    "INSUFFICIENT_RESOURCES",
    `the container subnet ${intToIp(subnet.network)}/${subnet.prefix} has no free address left: all ${subnet.size - 3} are in use (TANDEM_CONTAINER_SUBNET sets a larger one)`,
  );
}

/** True when two CIDRs share any address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const aEnd = a.network + a.size - 1;
  const bEnd = b.network + b.size - 1;
  return a.network <= bEnd && b.network <= aEnd;
}

export interface PortRule {
  hostPort: number;
  guestPort: number;
  protocol: "tcp" | "udp";
  ip: string;
}

/** A container's veth and the only addresses frames from it may carry. */
export interface Pin {
  veth: string;
  ip: string;
  mac: string;
}

/** What the tables and the port holder are made from; `ip` is null while a container has none. */
export interface NetworkRules {
  ports: (Omit<PortRule, "ip"> & { ip: string | null })[];
  pins: Pin[];
}

/**
 * A container's MAC, fixed by its IPv4 address like CNI's (and so Podman's) bridge plugin:
 * 0a:58 (locally administered, unicast) followed by the address. Fixed, so it can be pinned.
 */
export function macFor(ip: string): string {
  const n = ipToInt(ip);
  return [
    "0a",
    "58",
    ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, "0")),
  ].join(":");
}

/**
 * Tandem's whole ruleset as one `nft -f` script: each table is declared, deleted and re-created
 * in the same transaction, so the swap is atomic and nothing else's rules are touched.
 */
export function renderNftRuleset(table: string, bridge: string, rules: { ports: PortRule[]; pins: Pin[] }): string {
  const br = JSON.stringify(bridge);
  const set = (proto: string) => [...new Set(rules.ports.filter((r) => r.protocol === proto).map((r) => r.hostPort))];
  const accept = (["tcp", "udp"] as const).flatMap((proto) => {
    const ports = set(proto);
    return ports.length ? [`    ${proto} dport { ${ports.join(", ")} } accept`] : [];
  });
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table bridge ${table} {}`,
    `delete table bridge ${table}`,
    `table ip ${table} {`,
    // The loopback guard (CVE-2020-8558), see nft-pieces.ts.
    "  chain guard {",
    "    type filter hook prerouting priority raw; policy accept;",
    ...loopbackGuard(`iifname ${br}`, false),
    "  }",
    // Published ports for other machines. Packets from the bridge are not rewritten: containers
    // reach published ports through the port holder (accepted below), which needs no forwarding.
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    ...rules.ports.map(
      (r) =>
        `    iifname != ${br} fib daddr type local ${r.protocol} dport ${r.hostPort} dnat to ${r.ip}:${r.guestPort}`,
    ),
    "  }",
    // What a container may open on the host: the published ports (the holder relays them) and
    // replies to connections the host made. Tandem serves no DHCP or DNS on the bridge.
    "  chain input {",
    "    type filter hook input priority filter; policy accept;",
    `    iifname != ${br} accept`,
    "    ct state established,related accept",
    ...accept,
    // Refused rather than dropped: a lookup of the resolver that resolv.conf names fails at once.
    "    meta l4proto tcp reject with tcp reset",
    "    reject",
    "  }",
    "}",
    // Every frame a container sends enters the bridge through its veth: only its own MAC, its own
    // IPv4 address (ARP included) pass; IPv6 and anything else are dropped (no IPv6 on the bridge).
    `table bridge ${table} {`,
    "  chain prerouting {",
    "    type filter hook prerouting priority -300; policy accept;",
    ...rules.pins.map((p) => `    iifname ${JSON.stringify(p.veth)} jump pin_${p.veth}`),
    "  }",
    ...rules.pins.flatMap((p) => pinChain({ chain: `pin_${p.veth}`, mac: p.mac, ipv4: p.ip, dhcp: false, ipv6: [] })),
    "}",
    "",
  ].join("\n");
}

export function vethName(uuid: string): string {
  return `vt${uuid.replace(/-/g, "").slice(0, 11)}`;
}

/** A published port that could not be held: something on the host took it. */
export interface PortFailure {
  port: HeldPort;
  error: NodeJS.ErrnoException;
}

export class Network {
  readonly subnet: Subnet;
  private readonly holder = new PortHolder();
  /** Syncs and table writes run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  /** What the tables are made from: published ports that are held and have an address, pins. */
  private current: { ports: PortRule[]; pins: Pin[] } = { ports: [], pins: [] };
  /** The script last applied ("" = tables deleted), to skip identical rewrites. */
  private applied: string | null = null;
  private creatingBridge: Promise<void> | null = null;

  constructor(readonly cfg: NetworkConfig) {
    this.subnet = parseSubnet(cfg.subnet);
  }

  netnsName(uuid: string): string {
    return `${this.cfg.netnsPrefix}${uuid}`;
  }

  netnsPath(uuid: string): string {
    return `/run/netns/${this.netnsName(uuid)}`;
  }

  private hasBridge(): boolean {
    return existsSync(`/sys/class/net/${this.cfg.bridge}`);
  }

  /**
   * route_localnet off on our bridge: on, the host routes packets for 127.0.0.0/8 that arrive
   * from it (CVE-2020-8558). Tandem before issue #10 turned it on; start-up turns it off again.
   */
  private hardenBridge(): void {
    const f = `/proc/sys/net/ipv4/conf/${this.cfg.bridge}/route_localnet`;
    try {
      if (readFileSync(f, "utf8").trim() !== "0") writeFileSync(f, "0");
    } catch {
      // the bridge went away meanwhile
    }
  }

  /** Creates the bridge once; refuses a subnet that overlaps a route Tandem did not make. */
  async ensureBridge(): Promise<void> {
    if (this.hasBridge()) {
      this.hardenBridge();
      return;
    }
    this.creatingBridge ??= this.createBridge().finally(() => (this.creatingBridge = null));
    await this.creatingBridge;
  }

  private async createBridge(): Promise<void> {
    const { bridge } = this.cfg;
    const routes = JSON.parse((await run(["ip", "-j", "-4", "route", "show", "table", "all"])).stdout || "[]") as {
      dst: string;
      dev?: string;
    }[];
    for (const r of routes) {
      if (!r.dst || r.dev === bridge || !/^\d/.test(r.dst) || r.dst.startsWith("127.")) continue;
      const [addr, len] = r.dst.split("/");
      const prefix = len === undefined ? 32 : Number(len);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const other = { network: (ipToInt(addr!) & mask) >>> 0, prefix, gateway: "", size: 2 ** (32 - prefix) };
      // Host routes (/32) inside the subnet count too: someone already uses those addresses.
      if (prefix >= 8 && overlaps(this.subnet, other)) {
        throw new Error(`container subnet ${this.cfg.subnet} overlaps the host route ${r.dst} on ${r.dev ?? "?"}`);
      }
    }
    await run(["ip", "link", "add", bridge, "type", "bridge"]);
    await run(["ip", "addr", "add", `${this.subnet.gateway}/${this.subnet.prefix}`, "dev", bridge]);
    await run(["ip", "link", "set", bridge, "up"]);
    // The filters exist before the first veth joins the bridge.
    await this.enqueue(() => this.applyTables());
  }

  /**
   * netns + veth + address for one container; idempotent enough to repair after a crash.
   * `fromPid`: the netns is that process's (a user-namespaced container's, made by crun), named
   * in the same `ip` run that adds the veth.
   */
  async attach(uuid: string, ip: string, fromPid?: number): Promise<{ netns: string; hostVeth: string }> {
    await this.ensureBridge();
    const ns = this.netnsName(uuid);
    const veth = vethName(uuid);
    // Two `ip -batch` runs instead of one process per step: this is most of create's latency.
    const host = [
      this.nameNetns(uuid, fromPid),
      ...(existsSync(`/sys/class/net/${veth}`) ? [`link del ${veth}`] : []),
      // The container's end gets the MAC the bridge table pins for its address.
      `link add ${veth} type veth peer name eth0 address ${macFor(ip)} netns ${ns}`,
      `link set ${veth} master ${this.cfg.bridge} up`,
      "",
    ]
      .filter((l) => l !== null)
      .join("\n");
    await run(["ip", "-batch", "-"], { input: host });
    const script = [
      `addr add ${ip}/${this.subnet.prefix} dev eth0`,
      "link set eth0 up",
      "link set lo up",
      `route add default via ${this.subnet.gateway}`,
      "",
    ].join("\n");
    await run(["ip", "-n", ns, "-batch", "-"], { input: script });
    return { netns: ns, hostVeth: veth };
  }

  /**
   * For a container wired by a Tandem that did not pin addresses (random MAC): gives its eth0
   * the MAC the pins expect, and drops the host's neighbour entry so the host asks again.
   */
  async adoptAddress(uuid: string, ip: string): Promise<void> {
    if (!existsSync(this.netnsPath(uuid))) return;
    const ns = this.netnsName(uuid);
    const link = JSON.parse((await run(["ip", "-n", ns, "-j", "link", "show", "dev", "eth0"])).stdout || "[]") as {
      address?: string;
    }[];
    const mac = macFor(ip);
    if (!link[0] || link[0].address === mac) return;
    await run(["ip", "-n", ns, "link", "set", "dev", "eth0", "address", mac]);
    await run(["ip", "neigh", "del", ip, "dev", this.cfg.bridge], { okCodes: [1, 2] });
  }

  /** A namespace with only loopback (network: none); `fromPid` as for attach. */
  async isolated(uuid: string, fromPid?: number): Promise<{ netns: string }> {
    const ns = this.netnsName(uuid);
    const name = this.nameNetns(uuid, fromPid);
    if (name) await run(["ip", ...name.split(" ")]);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    return { netns: ns };
  }

  /** The `ip` command that names the container's netns (a new one, or fromPid's); null: it exists. */
  private nameNetns(uuid: string, fromPid?: number): string | null {
    const ns = this.netnsName(uuid);
    if (fromPid !== undefined) return `netns attach ${ns} ${fromPid}`;
    return existsSync(this.netnsPath(uuid)) ? null : `netns add ${ns}`;
  }

  async detach(uuid: string): Promise<void> {
    const veth = vethName(uuid);
    const cmds = [
      ...(existsSync(`/sys/class/net/${veth}`) ? [`link del ${veth}`] : []),
      ...(existsSync(this.netnsPath(uuid)) ? [`netns del ${this.netnsName(uuid)}`] : []),
    ];
    if (cmds.length) await run(["ip", "-force", "-batch", "-"], { input: cmds.join("\n") + "\n" });
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Makes the held ports and the tables match `rules` (a function is read when this sync's turn
   * comes, so a queued sync never applies stale state). Ports that cannot be held are left out
   * of the DNAT too (no host service is shadowed) and returned.
   */
  sync(rules: NetworkRules | (() => NetworkRules)): Promise<PortFailure[]> {
    return this.enqueue(async () => {
      const r = typeof rules === "function" ? rules() : rules;
      const failed = await this.holder.sync(r.ports);
      const refused = new Set(failed.map((f) => portKey(f.port)));
      this.current = {
        ports: r.ports.filter((p): p is PortRule => !!p.ip && !refused.has(portKey(p))),
        pins: r.pins,
      };
      await this.applyTables();
      return failed;
    });
  }

  /** Rejects with EADDRINUSE (or the bind's error) if the port cannot be bound right now. */
  probePort(p: { protocol: "tcp" | "udp"; hostPort: number }): Promise<void> {
    return this.holder.probe(p);
  }

  private async applyTables(): Promise<void> {
    const bridge = this.hasBridge();
    if (bridge) this.hardenBridge();
    const { ports, pins } = this.current;
    // Without a bridge and rules there is nothing to guard: no tables at all.
    const script =
      bridge || ports.length || pins.length ? renderNftRuleset(this.cfg.nftTable, this.cfg.bridge, this.current) : "";
    if (script === this.applied) return;
    this.applied = null;
    await run(["nft", "-f", "-"], { input: script || this.deleteScript() });
    this.applied = script;
  }

  private deleteScript(): string {
    const t = this.cfg.nftTable;
    return `table ip ${t} {}\ndelete table ip ${t}\ntable bridge ${t} {}\ndelete table bridge ${t}\n`;
  }

  /** Lets go of the held ports (Tandem stopping); the tables stay, so DNAT keeps working. */
  close(): void {
    this.holder.closeAll();
  }

  /** Removes the bridge, the held ports and the nft tables (tests, uninstall); containers must be gone. */
  async destroy(): Promise<void> {
    this.holder.closeAll();
    await this.enqueue(async () => {
      this.current = { ports: [], pins: [] };
      this.applied = null;
      await run(["nft", "-f", "-"], { input: this.deleteScript() });
    });
    if (this.hasBridge()) await run(["ip", "link", "del", this.cfg.bridge]);
  }
}
