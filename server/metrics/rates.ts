// Turns cumulative counters into rates. A counter that went backwards means the guest restarted
// (its counters reset): that interval is skipped rather than reported as a huge negative rate.
import type { MetricPoint } from "../contract/metrics";
import type { GuestSample } from "../domain/driver";

export function toPoint(prev: GuestSample | undefined, cur: GuestSample): MetricPoint | null {
  if (!prev) return null;
  const dtMs = cur.at - prev.at;
  if (dtMs <= 0) return null;
  const rate = (a: number, b: number) => (b >= a ? ((b - a) * 1000) / dtMs : NaN);
  const cpuNs = cur.cpuTimeNs - prev.cpuTimeNs;
  if (cpuNs < 0) return null;
  // 100 % = one full CPU, as top and Proxmox show it per guest; cpuCount caps the scale.
  const cpuPct = Math.min((cpuNs / (dtMs * 1e6)) * 100, 100 * Math.max(1, cur.cpuCount));
  const point: MetricPoint = {
    t: cur.at,
    cpuPct,
    memUsed: cur.memoryUsedBytes,
    memLimit: cur.memoryLimitBytes,
    diskRead: rate(prev.diskReadBytes, cur.diskReadBytes),
    diskWrite: rate(prev.diskWriteBytes, cur.diskWriteBytes),
    netRx: rate(prev.netRxBytes, cur.netRxBytes),
    netTx: rate(prev.netTxBytes, cur.netTxBytes),
  };
  for (const k of ["diskRead", "diskWrite", "netRx", "netTx"] as const) if (Number.isNaN(point[k])) point[k] = 0;
  return point;
}

/** Mean of a bucket of points, stamped with the bucket start. */
export function average(points: MetricPoint[], t: number): MetricPoint {
  const n = points.length;
  const sum = (k: keyof MetricPoint) => points.reduce((s, p) => s + p[k], 0) / n;
  return {
    t,
    cpuPct: sum("cpuPct"),
    memUsed: sum("memUsed"),
    memLimit: sum("memLimit"),
    diskRead: sum("diskRead"),
    diskWrite: sum("diskWrite"),
    netRx: sum("netRx"),
    netTx: sum("netTx"),
  };
}
