// Keeps VM guests off the host's own services. Two ways in existed: QEMU's user-mode network
// (SLIRP) turns a guest's connection to the gateway 10.0.2.2 into a connection from the QEMU
// process to the host's 127.0.0.1 (Tandem's API, anything bound to loopback), and a guest on
// Tandem's isolated network reaches every host service bound to the wildcard address through
// the bridge address. One nftables table Tandem owns closes both:
// - output: new connections from QEMU's unprivileged user to any local address are rejected —
//   only possible because QEMU no longer runs as root; DNS (port 53) stays open so SLIRP's DNS
//   proxy keeps working with a local resolver;
// - input: on Tandem's isolated bridges only DHCP and DNS (the network's dnsmasq) answer, plus
//   replies to connections the host opened itself.
// The table is replaced as a whole in one `nft -f` transaction (idempotent); bridges are
// elements of a set, so several drivers (tests, the e2e server) can share one table.
import { execFile } from "node:child_process";
import { AppError } from "../../../domain/errors";

export interface HostGuardSpec {
  /** nftables table name (family inet). */
  table: string;
  /** QEMU's uid; null when QEMU runs as root (then only the bridge rules apply). */
  qemuUid: number | null;
  /** Bridges of Tandem's isolated networks to add to the set. */
  bridges: string[];
}

const NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,30}$/;
const IFNAME = /^[a-zA-Z0-9_.-]{1,15}$/;

/** The nft script for one guard table (pure). */
export function guardRuleset(spec: HostGuardSpec): string {
  if (!NAME.test(spec.table)) throw new RangeError(`'${spec.table}' is not a valid nftables table name`);
  for (const b of spec.bridges) if (!IFNAME.test(b)) throw new RangeError(`'${b}' is not a valid interface name`);
  if (spec.qemuUid !== null && (!Number.isInteger(spec.qemuUid) || spec.qemuUid <= 0)) {
    throw new RangeError("qemuUid must be a positive integer");
  }
  const t = `inet ${spec.table}`;
  const lines = [
    `add table ${t}`,
    `add set ${t} isolated_bridges { type ifname; }`,
    `add chain ${t} qemu_out { type filter hook output priority filter; policy accept; }`,
    `add chain ${t} bridge_in { type filter hook input priority filter; policy accept; }`,
    `flush chain ${t} qemu_out`,
    `flush chain ${t} bridge_in`,
  ];
  if (spec.qemuUid !== null) {
    const who = `meta skuid ${spec.qemuUid} ct state new fib daddr type local`;
    lines.push(
      `add rule ${t} qemu_out ${who} meta l4proto { tcp, udp } th dport 53 accept`,
      `add rule ${t} qemu_out ${who} meta l4proto tcp reject with tcp reset`,
      `add rule ${t} qemu_out ${who} reject with icmpx type admin-prohibited`,
    );
  }
  const from = `iifname @isolated_bridges`;
  lines.push(
    `add rule ${t} bridge_in ${from} ct state established,related accept`,
    `add rule ${t} bridge_in ${from} udp dport 67 accept`,
    `add rule ${t} bridge_in ${from} meta l4proto { tcp, udp } th dport 53 accept`,
    // IPv6 neighbour discovery: the link itself, no service behind it.
    `add rule ${t} bridge_in ${from} icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept`,
    `add rule ${t} bridge_in ${from} fib daddr type local meta l4proto tcp reject with tcp reset`,
    `add rule ${t} bridge_in ${from} fib daddr type local reject with icmpx type admin-prohibited`,
    // Broadcast and multicast services (mDNS, SSDP, ...) get nothing either; no error is sent to those.
    `add rule ${t} bridge_in ${from} fib daddr type { broadcast, multicast } drop`,
  );
  if (spec.bridges.length)
    lines.push(`add element ${t} isolated_bridges { ${spec.bridges.map((b) => `"${b}"`).join(", ")} }`);
  return lines.join("\n") + "\n";
}

function nft(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("nft", args, { timeout: 10_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new AppError(
          "BACKEND_UNAVAILABLE",
          code === "ENOENT"
            ? "nftables (nft) is not installed: it keeps VM guests off the host's own services"
            : `could not install the VM guests' host firewall: ${String(stderr).trim().slice(0, 300)}`,
        ),
      );
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Installs (or refreshes) the guard table. */
export function applyHostGuard(spec: HostGuardSpec): Promise<void> {
  return nft(["-f", "-"], guardRuleset(spec));
}

/** Removes the guard table (tests; an uninstall). Missing is fine. */
export async function removeHostGuard(table: string): Promise<void> {
  if (!NAME.test(table)) throw new RangeError(`'${table}' is not a valid nftables table name`);
  await nft(["delete", "table", "inet", table]).catch(() => undefined);
}
