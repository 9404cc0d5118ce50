// Container networking: one Linux bridge on the host (its own subnet, no uplink, no masquerade
// to the outside, existing routes untouched), a named network namespace and a veth pair per
// container, and one nftables table that Tandem owns wholly and rewrites atomically for
// published ports. Loopback clients reach published ports too (route_localnet on our bridge).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
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
  throw new Error("the container subnet has no free address left");
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

/** The whole nftables table as one `nft -f` script (declare, delete, re-create = atomic swap). */
export function renderNftTable(table: string, bridge: string, rules: PortRule[]): string {
  const dnat = rules.map(
    (r) => `    fib daddr type local ${r.protocol} dport ${r.hostPort} dnat to ${r.ip}:${r.guestPort}`,
  );
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    "  chain prerouting {",
    "    type nat hook prerouting priority dstnat; policy accept;",
    ...dnat,
    "  }",
    "  chain output {",
    "    type nat hook output priority -100; policy accept;",
    ...dnat,
    "  }",
    "  chain postrouting {",
    "    type nat hook postrouting priority srcnat; policy accept;",
    // Loopback clients DNATed onto the bridge need a source the container can answer.
    `    ip saddr 127.0.0.0/8 oifname "${bridge}" masquerade`,
    "  }",
    "}",
    "",
  ].join("\n");
}

export function vethName(uuid: string): string {
  return `vt${uuid.replace(/-/g, "").slice(0, 11)}`;
}

export class Network {
  readonly subnet: Subnet;

  constructor(readonly cfg: NetworkConfig) {
    this.subnet = parseSubnet(cfg.subnet);
  }

  netnsName(uuid: string): string {
    return `${this.cfg.netnsPrefix}${uuid}`;
  }

  netnsPath(uuid: string): string {
    return `/run/netns/${this.netnsName(uuid)}`;
  }

  /** Creates the bridge once; refuses a subnet that overlaps a route Tandem did not make. */
  async ensureBridge(): Promise<void> {
    const { bridge } = this.cfg;
    if (existsSync(`/sys/class/net/${bridge}`)) return;
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
    writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, "1");
  }

  /** netns + veth + address for one container; idempotent enough to repair after a crash. */
  async attach(uuid: string, ip: string): Promise<{ netns: string; hostVeth: string }> {
    await this.ensureBridge();
    const ns = this.netnsName(uuid);
    const veth = vethName(uuid);
    // Two `ip -batch` runs instead of one process per step: this is most of create's latency.
    const host = [
      ...(existsSync(this.netnsPath(uuid)) ? [] : [`netns add ${ns}`]),
      ...(existsSync(`/sys/class/net/${veth}`) ? [`link del ${veth}`] : []),
      `link add ${veth} type veth peer name eth0 netns ${ns}`,
      `link set ${veth} master ${this.cfg.bridge} up`,
      "",
    ].join("\n");
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

  /** A namespace with only loopback (network: none). */
  async isolated(uuid: string): Promise<{ netns: string }> {
    const ns = this.netnsName(uuid);
    if (!existsSync(this.netnsPath(uuid))) await run(["ip", "netns", "add", ns]);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    return { netns: ns };
  }

  async detach(uuid: string): Promise<void> {
    const veth = vethName(uuid);
    const cmds = [
      ...(existsSync(`/sys/class/net/${veth}`) ? [`link del ${veth}`] : []),
      ...(existsSync(this.netnsPath(uuid)) ? [`netns del ${this.netnsName(uuid)}`] : []),
    ];
    if (cmds.length) await run(["ip", "-force", "-batch", "-"], { input: cmds.join("\n") + "\n" });
  }

  private lastRules: string | null = null;

  async syncPorts(rules: PortRule[]): Promise<void> {
    const key = JSON.stringify(rules);
    if (key === this.lastRules) return;
    this.lastRules = key;
    try {
      await this.applyPorts(rules);
    } catch (e) {
      this.lastRules = null;
      throw e;
    }
  }

  private async applyPorts(rules: PortRule[]): Promise<void> {
    if (rules.length === 0) {
      await run(["nft", "delete", "table", "ip", this.cfg.nftTable], { okCodes: [1] });
      return;
    }
    await this.ensureBridge();
    await run(["nft", "-f", "-"], { input: renderNftTable(this.cfg.nftTable, this.cfg.bridge, rules) });
  }

  /** Removes the bridge and the nft table (tests, uninstall); containers must be gone. */
  async destroy(): Promise<void> {
    this.lastRules = null;
    await run(["nft", "delete", "table", "ip", this.cfg.nftTable], { okCodes: [1] });
    if (existsSync(`/sys/class/net/${this.cfg.bridge}`)) await run(["ip", "link", "del", this.cfg.bridge]);
  }

  /** Host-side veth counters: what the container received is what the host end sent. */
  static readCounters(hostVeth: string): { rx: number; tx: number } {
    const read = (f: string) => {
      try {
        return Number(readFileSync(`/sys/class/net/${hostVeth}/statistics/${f}`, "utf8")) || 0;
      } catch {
        return 0;
      }
    };
    return { rx: read("tx_bytes"), tx: read("rx_bytes") };
  }
}
