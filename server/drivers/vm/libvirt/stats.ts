// One virConnectGetAllDomainStats record → GuestSample. Pure, so the mapping is unit-tested.
import type { GuestSample } from "../../../domain/driver";

export type StatsParams = Record<string, number | string | boolean>;

/** The groups the sampler asks for, in one call. */
export const SAMPLE_GROUPS = ["state", "cpu", "balloon", "block", "interface"] as const;

const num = (p: StatsParams, k: string): number | null => {
  const v = p[k];
  return typeof v === "number" && Number.isFinite(v) ? v : null;
};

function sumIndexed(p: StatsParams, prefix: "block" | "net", field: string): number {
  const count = num(p, `${prefix}.count`) ?? 0;
  let total = 0;
  for (let i = 0; i < count; i++) {
    // Backing-chain entries (block.N.backingIndex > 0 with BACKING) would double-count; we do not
    // ask for them, so every block.N is a top-level device.
    total += num(p, `${prefix}.${i}.${field}`) ?? 0;
  }
  return total;
}

/**
 * Memory: the guest's own view when the balloon driver reports it (available − usable, i.e.
 * what the guest could not hand back without swapping), else QEMU's RSS on the host.
 */
export function toSample(id: string, at: number, params: StatsParams, cpuCount: number): GuestSample {
  const kib = (k: string) => {
    const v = num(params, k);
    return v === null ? null : v * 1024;
  };
  const limit = kib("balloon.current") ?? kib("balloon.maximum") ?? 0;
  const available = kib("balloon.available");
  const usable = kib("balloon.usable");
  const rss = kib("balloon.rss");
  let used: number;
  if (available !== null && usable !== null && available >= usable) used = available - usable;
  else if (rss !== null) used = Math.min(rss, limit || rss);
  else used = limit;
  return {
    id,
    at,
    cpuTimeNs: num(params, "cpu.time") ?? 0,
    cpuCount: Math.max(1, cpuCount),
    memoryUsedBytes: used,
    memoryLimitBytes: limit,
    diskReadBytes: sumIndexed(params, "block", "rd.bytes"),
    diskWriteBytes: sumIndexed(params, "block", "wr.bytes"),
    netRxBytes: sumIndexed(params, "net", "rx.bytes"),
    netTxBytes: sumIndexed(params, "net", "tx.bytes"),
  };
}
