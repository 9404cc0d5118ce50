// A container's NICs on Tandem networks (issue 12) as its record keeps them: the static address
// each gets when the container is created (from the lower half of the network's subnet, which
// the network's DHCP leaves alone), plugging them into the container's netns (at create and at
// each start that made a new netns) and unplugging them, and the resolv.conf naming the networks'
// resolvers. The veth work itself is network-attach.ts's.
import { existsSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ResolvedNic } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import { allocateNicAddress, attachNic, detachNic, nicVethName, resolvConf } from "./network-attach";
import { intToIp, parseSubnet } from "./network";
import type { ContainerPaths } from "./layout";
import type { ContainerRecord } from "./record";

export type NicRecord = ContainerRecord["nics"][number];

/**
 * Each resolved NIC with its address: the lowest one of the lower half of its network's subnet
 * that no container of this driver (`others`) nor an earlier NIC of this one has.
 */
export function planNics(uuid: string, nics: readonly ResolvedNic[], others: readonly ContainerRecord[]): NicRecord[] {
  const out: NicRecord[] = [];
  for (const [i, n] of nics.entries()) {
    const net = n.network;
    if (!net?.ipv4Subnet || !net.ipv4Gateway) {
      throw new AppError("VALIDATION", `nics[${i}].network: '${net?.name ?? n.networkId}' has no IPv4 subnet`);
    }
    const sub = parseSubnet(net.ipv4Subnet);
    const used = [...others.flatMap((r) => r.nics), ...out].filter((x) => x.networkId === n.networkId).map((x) => x.ip);
    const ip = allocateNicAddress(
      {
        name: net.name,
        subnet: net.ipv4Subnet,
        gateway: net.ipv4Gateway,
        range: { first: intToIp(sub.network + 1), last: intToIp(sub.network + sub.size / 2 - 1) },
      },
      used,
    );
    out.push({
      networkId: n.networkId,
      bridge: net.bridge,
      mac: n.mac,
      ip,
      prefix: sub.prefix,
      gateway: net.ipv4Gateway,
      hostVeth: nicVethName(uuid, i),
    });
  }
  return out;
}

/**
 * Plugs the record's NICs into its netns (named already). `onlyMissing`: a netns kept from an
 * earlier start, where only NICs whose host end is gone are plugged again.
 */
export async function attachNics(rec: ContainerRecord, netns: string, onlyMissing = false): Promise<void> {
  for (const [i, n] of rec.nics.entries()) {
    if (onlyMissing && existsSync(`/sys/class/net/${n.hostVeth}`)) continue;
    await attachNic({
      netns,
      bridge: n.bridge,
      hostVeth: n.hostVeth,
      ifname: `eth${i}`,
      mac: n.mac,
      ipv4: { address: n.ip, prefix: n.prefix, gateway: n.gateway },
      primary: i === 0,
    });
  }
  await forwarding(rec.nics.map((n) => n.hostVeth));
}

/**
 * Waits (at most 5 s) until each port forwards. libvirt's bridges run STP (delay 0): a new port
 * passes through listening and learning first, and what the container sends meanwhile (its first
 * ARP) is dropped. The process starts only once its NICs carry frames.
 */
async function forwarding(veths: readonly string[]): Promise<void> {
  const state = (v: string) => {
    try {
      return readFileSync(`/sys/class/net/${v}/brport/state`, "utf8").trim();
    } catch {
      return "gone";
    }
  };
  // 3 = BR_STATE_FORWARDING; anything else but 1/2 (listening/learning) will not change by waiting.
  for (let i = 0; i < 100 && veths.some((v) => ["1", "2"].includes(state(v))); i++) await sleep(50);
}

/** Unplugs every NIC (deleting the netns would take them too; this also covers a netns kept elsewhere). */
export async function detachNics(rec: ContainerRecord): Promise<void> {
  for (const n of rec.nics) await detachNic(n.hostVeth);
}

/** resolv.conf text for a container with NICs: each network's gateway (its dnsmasq) in NIC order. */
export function nicsResolvConf(paths: Pick<ContainerPaths, "etc">, rec: ContainerRecord): string {
  return resolvConf(
    paths,
    rec.nics.map((n) => ({ nameserver: n.gateway })),
  ).text;
}
