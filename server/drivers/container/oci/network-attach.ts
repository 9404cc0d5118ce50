// A container's NIC on a bridge Tandem does not own (a libvirt network's, issue 12): the veth
// pair whose host end joins that bridge and whose other end becomes ethN in the container's
// netns with its MAC, addresses and (first NIC only) default routes; detach deletes the host end
// (the kernel removes its peer with it). Also, pure: the address a new NIC gets from the part of
// a network's subnet Tandem assigns, and the resolv.conf that points at the networks' resolvers.
// network.ts keeps owning Tandem's own container bridge and its nft tables; the protections
// those tables give (pinning, loopback drop, input filter) are not applied here yet.
import { existsSync } from "node:fs";
import { isIPv4, isIPv6 } from "node:net";
import path from "node:path";
import { AppError } from "../../../domain/errors";
import type { ContainerPaths } from "./layout";
import { intToIp, ipToInt } from "./network";
import { CommandError, run } from "./run";

export interface NicAttachment {
  /** The container's named netns (/run/netns/<netns>), already there. */
  netns: string;
  /** The existing bridge the host end joins (e.g. a libvirt network's). */
  bridge: string;
  /** The host end's name (nicVethName). */
  hostVeth: string;
  /** The name inside the container: eth0, eth1 … */
  ifname: string;
  mac: string;
  ipv4: { address: string; prefix: number; gateway: string };
  ipv6?: { address: string; prefix: number; gateway?: string | null } | null;
  /** The first NIC: lo comes up and the default routes go through this one. */
  primary: boolean;
  /**
   * The netns is this process's (a user-namespaced container's, made by crun) and is named
   * `netns` in the same run, as network.ts's attach does; absent: it is named already.
   */
  fromPid?: number;
}

// Names and addresses end up in an `ip -batch` script, one command per line: anything with a
// space or newline could add a command, so each is checked against what the kernel accepts.
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const NETNS = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The host end of a container's NIC `index` (0-based): `vn`, 11 hex of the uuid, the index. */
export function nicVethName(uuid: string, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 35) throw new AppError("VALIDATION", "nics: at most 36 NICs");
  const hex = uuid.replace(/-/g, "").toLowerCase();
  if (!/^[0-9a-f]{11}/.test(hex)) throw new Error(`'${uuid}' is not a container uuid`);
  // `vn`, not network.ts's `vt`: a NIC's veth never takes the name of a default-bridge veth.
  return `vn${hex.slice(0, 11)}${index.toString(36)}`;
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Throws VALIDATION naming the field for anything the batch must not carry. */
export function checkAttachment(a: NicAttachment): void {
  const bad = (field: string, why: string) => new AppError("VALIDATION", `${field}: ${why}`);
  if (!NETNS.test(a.netns)) throw bad("netns", `'${a.netns}' is not a namespace name`);
  for (const f of ["bridge", "hostVeth", "ifname"] as const) {
    if (!IFNAME.test(a[f])) throw bad(f, `'${a[f]}' is not an interface name (1-15 of a-z A-Z 0-9 _ . -)`);
  }
  if (a.ifname === "lo") throw bad("ifname", "'lo' is the loopback");
  if (a.fromPid !== undefined && !(Number.isInteger(a.fromPid) && a.fromPid > 1)) {
    throw bad("fromPid", `${a.fromPid} is not a container's process id`);
  }
  if (!MAC.test(a.mac)) throw bad("mac", `'${a.mac}' is not a MAC address (lower-case aa:bb:cc:dd:ee:ff)`);
  if (parseInt(a.mac.slice(0, 2), 16) & 1) throw bad("mac", `'${a.mac}' is a multicast address`);
  const { address, prefix, gateway } = a.ipv4;
  if (!isIPv4(address)) throw bad("ipv4.address", `'${address}' is not an IPv4 address`);
  if (!isIPv4(gateway)) throw bad("ipv4.gateway", `'${gateway}' is not an IPv4 address`);
  if (!Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw bad("ipv4.prefix", "must be between 8 and 30");
  const m = mask(prefix);
  const ip = ipToInt(address);
  if ((ip & m) >>> 0 !== (ipToInt(gateway) & m) >>> 0) {
    throw bad("ipv4.gateway", `${gateway} is not in ${address}/${prefix}`);
  }
  if (ip === ipToInt(gateway)) throw bad("ipv4.address", `${address} is the gateway's`);
  const host = (ip & ~m) >>> 0;
  if (host === 0 || host === ~m >>> 0) throw bad("ipv4.address", `${address} is not a host address of /${prefix}`);
  if (a.ipv6) {
    if (!isIPv6(a.ipv6.address)) throw bad("ipv6.address", `'${a.ipv6.address}' is not an IPv6 address`);
    const p = a.ipv6.prefix;
    if (!Number.isInteger(p) || p < 8 || p > 128) throw bad("ipv6.prefix", "must be between 8 and 128");
    if (a.ipv6.gateway && !isIPv6(a.ipv6.gateway)) {
      throw bad("ipv6.gateway", `'${a.ipv6.gateway}' is not an IPv6 address`);
    }
  }
}

/**
 * The `ip -batch` script, run in the host's netns. The host end is made there with its master
 * and up in the same request (the bridge resolved on the host side, never by a name inside the
 * container's netns, which its root may control); the rest runs inside through `netns exec`
 * (ip forks for each, in batch mode). `replace`: a host end with that name exists (a crash
 * half-way), deleted first.
 */
export function attachBatch(a: NicAttachment, replace = false): string {
  checkAttachment(a);
  const inNs = (cmd: string) => `netns exec ${a.netns} ip ${cmd}`;
  return [
    ...(a.fromPid !== undefined ? [`netns attach ${a.netns} ${a.fromPid}`] : []),
    ...(replace ? [`link del ${a.hostVeth}`] : []),
    `link add ${a.hostVeth} master ${a.bridge} up type veth peer name ${a.ifname} address ${a.mac} netns ${a.netns}`,
    ...(a.primary ? [inNs("link set lo up")] : []),
    inNs(`addr add ${a.ipv4.address}/${a.ipv4.prefix} dev ${a.ifname}`),
    // nodad: the address is Tandem's to give (the pins say so); no second of waiting for DAD.
    ...(a.ipv6 ? [inNs(`-6 addr add ${a.ipv6.address}/${a.ipv6.prefix} dev ${a.ifname} nodad`)] : []),
    inNs(`link set ${a.ifname} up`),
    ...(a.primary ? [inNs(`route add default via ${a.ipv4.gateway} dev ${a.ifname}`)] : []),
    ...(a.primary && a.ipv6?.gateway ? [inNs(`-6 route add default via ${a.ipv6.gateway} dev ${a.ifname}`)] : []),
    "",
  ].join("\n");
}

/** Plugs the NIC in (one `ip` run); on failure removes what it made and rethrows. */
export async function attachNic(a: NicAttachment): Promise<void> {
  checkAttachment(a);
  if (!existsSync(`/sys/class/net/${a.bridge}/bridge`)) {
    throw new AppError("CONFLICT", `bridge: ${a.bridge} is not a bridge on this host (is its network started?)`);
  }
  const script = attachBatch(a, existsSync(`/sys/class/net/${a.hostVeth}`));
  try {
    await run(["ip", "-batch", "-"], { input: script });
  } catch (e) {
    await detachNic(a.hostVeth).catch(() => undefined);
    // ip names only the script's line number ("Command failed -:5"): the message names the command.
    const at = e instanceof CommandError ? /Command failed -:(\d+)/.exec(e.stderr) : null;
    const cmd = at ? script.split("\n")[Number(at[1]) - 1] : undefined;
    if (!cmd || !(e instanceof CommandError)) throw e;
    const why = e.stderr.replace(/\s*Command failed -:\d+\s*/, "").trim();
    throw new Error(`attaching ${a.ifname} of ${a.netns} to ${a.bridge}: '${cmd}' failed: ${why}`, { cause: e });
  }
}

/** Unplugs a NIC: its host end goes, and the kernel takes the container's end with it. */
export async function detachNic(hostVeth: string): Promise<void> {
  if (!IFNAME.test(hostVeth)) throw new AppError("VALIDATION", `hostVeth: '${hostVeth}' is not an interface name`);
  // Exit 1 with "Cannot find device": gone already (the netns was deleted, or a second detach).
  // Removal deletes the netns concurrently (lifecycle.ts), which takes the pair with it: when the
  // kernel is doing so as ip asks, netlink answers ENODEV (exit 2). Gone is what was wanted.
  if (!existsSync(`/sys/class/net/${hostVeth}`)) return;
  try {
    await run(["ip", "link", "del", hostVeth], { okCodes: [1] });
  } catch (e) {
    if (existsSync(`/sys/class/net/${hostVeth}`)) throw e;
  }
}

/**
 * The next free address of a network's Tandem-assigned range (`first`–`last`, inclusive; on the
 * default network the lower half of the subnet, which DHCP leaves alone), skipping the subnet's
 * network and broadcast addresses, the gateway and `used`. INSUFFICIENT_RESOURCES when none is left.
 */
export function allocateNicAddress(
  net: { name: string; subnet: string; gateway: string; range: { first: string; last: string } },
  used: Iterable<string>,
): string {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(net.subnet);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 30) throw new Error(`'${net.subnet}' is not an IPv4 subnet up to /30`);
  const netmask = mask(Number(m[2]));
  const base = (ipToInt(m[1]!) & netmask) >>> 0;
  const broadcast = (base | ~netmask) >>> 0;
  const first = Math.max(ipToInt(net.range.first), base + 1);
  const last = Math.min(ipToInt(net.range.last), broadcast - 1);
  const taken = new Set(used);
  taken.add(net.gateway);
  for (let n = first; n <= last; n++) {
    const ip = intToIp(n);
    if (!taken.has(ip)) return ip;
  }
  throw new AppError(
    "INSUFFICIENT_RESOURCES",
    `network '${net.name}' has no free address left in ${net.range.first}-${net.range.last}, the part of ${net.subnet} Tandem assigns`,
  );
}

/** One NIC's network as its resolver: the network's dnsmasq (its gateway) and its DNS domain. */
export interface Resolver {
  nameserver: string;
  domain?: string | null;
}

const DOMAIN =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/**
 * The container's resolv.conf: the resolvers of its NICs' networks in NIC order (the first NIC's
 * first: the resolver asks the next only when one does not answer, so it must know the most),
 * at most three (what glibc and musl read), and the networks' domains as the search list.
 * `path` is the file under the container's etc/ directory that the spec binds over
 * /etc/resolv.conf (root-fs.ts writeEtc writes its siblings). No resolver: an empty file.
 */
export function resolvConf(paths: Pick<ContainerPaths, "etc">, resolvers: Resolver[]): { path: string; text: string } {
  const servers: string[] = [];
  const search: string[] = [];
  for (const [i, r] of resolvers.entries()) {
    if (!isIPv4(r.nameserver) && !isIPv6(r.nameserver)) {
      throw new AppError("VALIDATION", `nics[${i}]: '${r.nameserver}' is not a resolver address`);
    }
    if (r.domain && !DOMAIN.test(r.domain)) {
      throw new AppError("VALIDATION", `nics[${i}]: '${r.domain}' is not a DNS domain`);
    }
    if (!servers.includes(r.nameserver)) servers.push(r.nameserver);
    const d = r.domain?.toLowerCase();
    if (d && !search.includes(d)) search.push(d);
  }
  const lines = [
    ...(search.length ? [`search ${search.join(" ")}`] : []),
    ...servers.slice(0, 3).map((s) => `nameserver ${s}`),
  ];
  return { path: path.join(paths.etc, "resolv.conf"), text: lines.length ? `${lines.join("\n")}\n` : "" };
}
