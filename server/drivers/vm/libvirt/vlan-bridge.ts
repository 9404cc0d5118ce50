// The host side of a VLAN network (issue 12): an 802.1Q link on the parent interface and the
// Linux bridge named by the network's `bridge` (STP off) with that link as its one uplink port.
// The network's libvirt network (<forward mode='bridge'>) plugs VMs into this bridge and the
// container driver plugs its veths into it, so both kinds share the VLAN.
// Ownership: Tandem marks both links with the interface alias `tandem-net-<network id>` and
// removes only links that carry its mark; a name that exists without the mark is refused, never
// taken over. The host itself is not on the VLAN: neither link gets an address and IPv6 is off on
// both, so guests there reach the VLAN's own router and DHCP, never a host service.
// Links change through `ip` with argument arrays (no shell, no batch), every name checked first.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import type { Network } from "../../../contract/network";
import { AppError } from "../../../domain/errors";

/** What ensureVlanBridge makes for one network. */
export interface VlanBridge {
  /** The alias that marks both links as this network's: `tandem-net-<id>`. */
  owner: string;
  /** The Linux bridge guests join (the network's `bridge`). */
  bridge: string;
  /** The 802.1Q link on the parent (vlanLinkName). */
  link: string;
  parent: string;
  id: number;
}

/** Runs `ip <args>` and gives its stdout; tests may hand in their own. */
export type IpRunner = (args: string[]) => Promise<string>;

// As the kernel takes them (15 bytes at most); the same pattern network-attach.ts checks.
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

const bad = (field: string, message: string) => new AppError("VALIDATION", `${field}: ${message}`, { field });
const clash = (field: string, message: string) => new AppError("CONFLICT", `${field}: ${message}`, { field });

/**
 * The 802.1Q link's name: `tdv` and the bridge's 8 hex digits (`tdn1a2b3c4d` → `tdv1a2b3c4d`).
 * Not `<parent>.<id>`: that name may be taken by the admin's own link, and a long parent name
 * leaves no room for the id within 15 characters; `tdv` says whose it is in `ip link`.
 */
export function vlanLinkName(bridge: string): string {
  if (!/^tdn[0-9a-z]{1,12}$/.test(bridge)) throw new RangeError(`'${bridge}' is not a Tandem network bridge name`);
  return `tdv${bridge.slice(3)}`;
}

/** The links of a VLAN network, checked (400 naming the field for anything the kernel refuses). */
export function vlanBridgeOf(n: Pick<Network, "id" | "bridge" | "vlan" | "type">): VlanBridge {
  if (n.type !== "vlan" || !n.vlan) throw bad("vlan", "a vlan network needs {id, parent}");
  const { id, parent } = n.vlan;
  if (!Number.isInteger(id) || id < 1 || id > 4094) throw bad("vlan.id", "VLAN ids are 1–4094");
  if (!IFNAME.test(parent)) throw bad("vlan.parent", `'${parent}' is not an interface name`);
  if (parent === "lo") throw bad("vlan.parent", "lo is the loopback interface");
  if (!IFNAME.test(n.bridge)) throw bad("bridge", `'${n.bridge}' is not an interface name`);
  const link = vlanLinkName(n.bridge);
  if (parent === n.bridge || parent === link) throw bad("vlan.parent", `${parent} is this network's own link`);
  return { owner: `tandem-net-${n.id}`, bridge: n.bridge, link, parent, id };
}

/** `ip` with a 10 s limit; a failure carries ip's own message. */
export const runIp: IpRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile("ip", args, { timeout: 10_000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(" ")}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });

/** What Tandem reads of a link (`ip -d -j link show`). */
export interface LinkInfo {
  ifname: string;
  ifalias?: string;
  /** The lower device's name (a VLAN link's parent). */
  link?: string;
  master?: string;
  operstate?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; stp_state?: number } };
}

/** The link named `name`, or null when there is none. */
export async function linkInfo(name: string, ip: IpRunner = runIp): Promise<LinkInfo | null> {
  if (!IFNAME.test(name)) throw new RangeError(`'${name}' is not an interface name`);
  try {
    const [info] = JSON.parse(await ip(["-d", "-j", "link", "show", "dev", name])) as LinkInfo[];
    return info ?? null;
  } catch (e) {
    if (/does not exist|Cannot find device/i.test((e as Error).message)) return null;
    throw e;
  }
}

/** The kernel has no 802.1Q links (no 8021q module): `ip` knows no `vlan` link type. */
export function isNoVlanSupport(e: unknown): boolean {
  return /Unknown device type|Operation not supported/i.test((e as Error)?.message ?? "");
}

/**
 * No IPv6 on a link: otherwise the kernel gives it a link-local address and answers neighbour
 * discovery on it, which would put the host on the VLAN. Written before the link comes up.
 */
async function hostOff(name: string): Promise<void> {
  await writeFile(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, "1").catch((e: NodeJS.ErrnoException) => {
    // No IPv6 in this kernel at all: nothing to switch off.
    if (e.code !== "ENOENT") throw e;
  });
}

/**
 * Makes (or checks and completes) the network's bridge and VLAN link, up, the link in the bridge.
 * Idempotent: what exists with Tandem's mark and the right shape is kept, so a start after a host
 * reboot re-makes only what is missing. Returns the names this call made; on a failure part-way
 * those are removed again before the throw.
 */
export async function ensureVlanBridge(v: VlanBridge, ip: IpRunner = runIp): Promise<string[]> {
  const parent = await linkInfo(v.parent, ip);
  if (!parent) throw bad("vlan.parent", `no host interface is named ${v.parent}`);
  if (parent.ifalias?.startsWith("tandem-net-")) {
    throw bad("vlan.parent", `${v.parent} is a link of a Tandem network, not a host interface`);
  }
  const made: string[] = [];
  try {
    const br = await linkInfo(v.bridge, ip);
    if (!br) {
      // STP off: one uplink, no loops on a bridge Tandem fills; with it each port waits to forward.
      await ip(["link", "add", "name", v.bridge, "type", "bridge", "stp_state", "0"]);
      made.push(v.bridge);
      await ip(["link", "set", "dev", v.bridge, "alias", v.owner]);
      await hostOff(v.bridge);
    } else {
      mustBeOurs(br, v, "bridge", "bridge");
    }
    const link = await linkInfo(v.link, ip);
    if (!link) {
      const other = await vlanOn(v.parent, v.id, ip);
      if (other) throw clash("vlan", `VLAN ${v.id} on ${v.parent} is the host's link ${other} already`);
      try {
        await ip(["link", "add", "link", v.parent, "name", v.link, "type", "vlan", "id", String(v.id)]);
      } catch (e) {
        if (isNoVlanSupport(e)) {
          throw bad("type", "this host's kernel has no 802.1Q VLAN support (the 8021q module), so it cannot tag VLANs");
        }
        throw e;
      }
      made.push(v.link);
      await ip(["link", "set", "dev", v.link, "alias", v.owner]);
      await hostOff(v.link);
    } else {
      mustBeOurs(link, v, "vlan", "vlan");
      if (link.linkinfo?.info_data?.id !== v.id || link.link !== v.parent) {
        throw clash(
          "vlan",
          `${v.link} is VLAN ${link.linkinfo?.info_data?.id} on ${link.link}, not ${v.id} on ${v.parent}`,
        );
      }
    }
    await ip(["link", "set", "dev", v.link, "master", v.bridge]);
    await ip(["link", "set", "dev", v.link, "up"]);
    await ip(["link", "set", "dev", v.bridge, "up"]);
    return made;
  } catch (e) {
    for (const name of made.reverse()) await ip(["link", "del", "dev", name]).catch(() => undefined);
    throw e;
  }
}

/** Removes the network's links that carry its mark (the link first, then the bridge). */
export async function removeVlanBridge(v: VlanBridge, ip: IpRunner = runIp): Promise<string[]> {
  const removed: string[] = [];
  for (const name of [v.link, v.bridge]) {
    const info = await linkInfo(name, ip);
    if (!info || info.ifalias !== v.owner) continue;
    await ip(["link", "del", "dev", name]).catch((e: Error) => {
      if (!/does not exist|Cannot find device/i.test(e.message)) throw e;
    });
    removed.push(name);
  }
  return removed;
}

/** Removes the links `ensureVlanBridge` made in one call (a failed step after it). */
export async function undoVlanBridge(made: readonly string[], ip: IpRunner = runIp): Promise<void> {
  for (const name of [...made].reverse()) await ip(["link", "del", "dev", name]).catch(() => undefined);
}

function mustBeOurs(info: LinkInfo, v: VlanBridge, field: string, kind: string): void {
  if (info.ifalias !== v.owner) {
    throw clash(field, `${info.ifname} exists on the host and is not this network's (alias '${info.ifalias ?? ""}')`);
  }
  if (info.linkinfo?.info_kind !== kind) {
    throw clash(field, `${info.ifname} is a ${info.linkinfo?.info_kind ?? "plain"} link, not a ${kind}`);
  }
}

/** The name of a VLAN link with this id on this parent, if the host has one. */
async function vlanOn(parent: string, id: number, ip: IpRunner): Promise<string | null> {
  const all = JSON.parse(await ip(["-d", "-j", "link", "show"])) as LinkInfo[];
  const hit = all.find((l) => l.linkinfo?.info_kind === "vlan" && l.linkinfo.info_data?.id === id && l.link === parent);
  return hit?.ifname ?? null;
}
