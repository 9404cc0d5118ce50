// A container's NICs on Tandem networks (issue 12) as its record keeps them: the static address
// the service gave each (Nic.address), plugging them into the container's netns (at create, at
// each start that made a new netns, and one at a time when added to a running container) and
// unplugging them, and the resolv.conf naming the networks' resolvers. The veth work itself is
// network-attach.ts's. No wait for the bridge port: Tandem's bridges run without STP.
import { existsSync } from "node:fs";
import type { ResolvedNic } from "../../../domain/driver";
import { AppError, invalidState } from "../../../domain/errors";
import { attachNic, detachNic, nicVethName, resolvConf, type NicAttachment } from "./network-attach";
import { parseSubnet } from "./network";
import type { ContainerPaths } from "./layout";
import type { ContainerRecord } from "./record";
import type { RecordStore } from "./store";

export type NicRecord = ContainerRecord["nics"][number];

/**
 * Each resolved NIC as the record keeps it. The address is the service's (Nic.address, chosen
 * from the database so VMs and containers never clash); the driver picks none itself.
 */
export function planNics(uuid: string, nics: readonly ResolvedNic[]): NicRecord[] {
  return nics.map((n, i) => planNic(uuid, n, n.index ?? i));
}

/** One NIC's record entry (at create or hotplug); 400 naming nics[i] when it has no address. */
export function planNic(uuid: string, n: ResolvedNic, index: number): NicRecord {
  const net = n.network;
  if (!net?.ipv4Subnet || !net.ipv4Gateway || !n.address) {
    throw new AppError(
      "VALIDATION",
      `nics[${index}].address: '${net?.name ?? n.networkId}' gives this NIC no IPv4 address`,
    );
  }
  const sub = parseSubnet(net.ipv4Subnet);
  return {
    networkId: n.networkId,
    bridge: net.bridge,
    mac: n.mac,
    ip: n.address,
    prefix: sub.prefix,
    gateway: net.ipv4Gateway,
    hostVeth: n.iface ?? nicVethName(uuid, index),
    index,
  };
}

/**
 * Plugs the record's NICs into its netns (named already). `onlyMissing`: a netns kept from an
 * earlier start, where only NICs whose host end is gone are plugged again.
 */
export async function attachNics(rec: ContainerRecord, netns: string, onlyMissing = false): Promise<void> {
  for (const [i, n] of rec.nics.entries()) {
    if (onlyMissing && existsSync(`/sys/class/net/${n.hostVeth}`)) continue;
    await attachNic(attachment(n, netns, i === 0, n.index ?? i));
  }
}

/** What attachNic needs for one recorded NIC; the first NIC brings lo up and carries the default route. */
function attachment(n: NicRecord, netns: string, primary: boolean, index: number): NicAttachment {
  return {
    netns,
    bridge: n.bridge,
    hostVeth: n.hostVeth,
    ifname: `eth${index}`,
    mac: n.mac,
    ipv4: { address: n.ip, prefix: n.prefix, gateway: n.gateway },
    primary,
  };
}

/**
 * A NIC added to an existing container: the record's list with it (in index order), plugged
 * into `netns` at once when the container runs (a veth into a live netns needs nothing of the
 * container). It is the primary NIC only when it is the container's only one.
 */
export async function hotAttach(rec: ContainerRecord, nic: NicRecord, netns: string | null): Promise<NicRecord[]> {
  if (rec.network.mode === "bridge") {
    throw new AppError(
      "VALIDATION",
      "network: a container on Tandem's own bridge (made without nics) cannot get NICs on Tandem networks",
    );
  }
  const nics = [...rec.nics, nic].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  if (netns) await attachNic(attachment(nic, netns, rec.nics.length === 0, nic.index ?? rec.nics.length));
  return nics;
}

/** The record's list without the NIC of `mac`, unplugged (its host end deleted) if it was plugged. */
export async function hotDetach(rec: ContainerRecord, mac: string): Promise<NicRecord[]> {
  const gone = rec.nics.find((n) => n.mac === mac);
  if (gone) await detachNic(gone.hostVeth);
  return rec.nics.filter((n) => n.mac !== mac);
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

/**
 * A NIC change on an existing container (hotplug): `change` gets the container's netns when it
 * runs (plug in at once) or null (the record alone; plugged in at the next start).
 */
export async function changeNics(
  store: RecordStore,
  uuid: string,
  alive: boolean,
  network: { netnsName(uuid: string): string },
  change: (r: ContainerRecord, netns: string | null) => Promise<NicRecord[]>,
): Promise<void> {
  const rec = store.get(uuid);
  if (rec.creating) throw invalidState("the container is still being created");
  const ns = rec.network.netns ?? network.netnsName(uuid);
  const live = alive && existsSync(`/run/netns/${ns}`);
  store.update(uuid, { nics: await change(rec, live ? ns : null) });
}
