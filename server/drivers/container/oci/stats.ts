// One bulk sample of many containers: cgroup counters (CPU, memory working set, block I/O, pids,
// OOM kills) and the host-side veth's byte counters, one synchronous pass over pseudo-files:
// the counters each second, the limits as last read (proc.ts), every veth from one /proc/net/dev.
import { readFileSync } from "node:fs";
import type { GuestSample } from "../../../domain/driver";
import { parseGuestId } from "../../../domain/ids";
import type { ContainerProcs } from "./proc";
import type { RecordStore } from "./store";

/** What `sample` returns for containers: the shared fields plus what cgroups also tell. */
export interface ContainerSample extends GuestSample {
  oomKills: number;
  memoryWorkingSetBytes: number;
}

export function sampleContainers(
  ids: string[],
  store: RecordStore,
  procs: ContainerProcs,
  memTotalBytes: number,
): ContainerSample[] {
  const at = Date.now();
  const out: ContainerSample[] = [];
  // Every veth's counters in one read of /proc/net/dev, not two sysfs files per container.
  let veths: Map<string, { rx: number; tx: number }> | null = null;
  for (const id of ids) {
    const p = parseGuestId(id);
    const rec = p ? store.find(p.uuid) : undefined;
    if (!rec || rec.creating) continue;
    const s = procs.sample(rec.uuid);
    if (!s) continue;
    if (rec.network.hostVeth && !veths) veths = readNetDev();
    const net = (rec.network.hostVeth && veths?.get(rec.network.hostVeth)) || { rx: 0, tx: 0 };
    out.push({
      id,
      at,
      cpuTimeNs: s.cpuTimeNs,
      cpuCount: s.cpuQuotaCores ?? rec.vcpus,
      memoryUsedBytes: s.memoryWorkingSetBytes,
      memoryWorkingSetBytes: s.memoryWorkingSetBytes,
      memoryLimitBytes: s.memoryLimitBytes ?? memTotalBytes,
      diskReadBytes: s.blkReadBytes,
      diskWriteBytes: s.blkWriteBytes,
      netRxBytes: net.rx,
      netTxBytes: net.tx,
      pids: s.pids,
      oomKills: rec.oomKills + s.oomKills,
    });
  }
  return out;
}

/**
 * The byte counters of every interface in this network namespace, seen from the container: a
 * host-side veth's transmit is what its container received. Empty when the file is unreadable.
 */
export function parseNetDev(text: string): Map<string, { rx: number; tx: number }> {
  const out = new Map<string, { rx: number; tx: number }>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (f.length < 9) continue;
    out.set(line.slice(0, colon).trim(), { rx: Number(f[8]) || 0, tx: Number(f[0]) || 0 });
  }
  return out;
}

function readNetDev(): Map<string, { rx: number; tx: number }> {
  try {
    return parseNetDev(readFileSync("/proc/net/dev", "utf8"));
  } catch {
    return new Map();
  }
}
