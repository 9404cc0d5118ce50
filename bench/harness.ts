// The benchmark harness: each bench/*.bench.ts exports a Bench; run.ts runs them and writes
// bench/results.md with the machine and every figure beside a baseline measured in the same run.
import { execFileSync } from "node:child_process";
import os from "node:os";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** What a user would run instead (or the floor), measured in this same run; NaN when it could not be. */
  baseline?: { name: string; value: number };
  /** Goals from the issues, each checked against `value` (same unit): met when value ≤ limit. */
  targets?: Target[];
  /**
   * Figures NOT measured here (another product's documented interval, a figure from elsewhere):
   * printed in their own table at the end, never in the same-run baseline column.
   */
  reference?: Reference | Reference[];
  note?: string;
}

export interface Target {
  /** As the issue words it: "≤ 60 ms p50", "≤ 0.5× `podman run -d`". */
  text: string;
  /** The largest value that meets it, in the row's unit (NaN when its baseline is missing). */
  limit: number;
}

export interface Reference {
  name: string;
  value: number | string;
  unit: string;
  /** Where the figure comes from (documentation, an issue, a talk). */
  source: string;
}

/** Target helpers: an absolute ceiling, a multiple of the row's baseline, the baseline plus a margin. */
export const atMost = (limit: number, text: string): Target => ({ text, limit });
export const timesBaseline = (factor: number, baseline: number, what: string): Target => ({
  text: `≤ ${factor}× ${what}`,
  limit: factor * baseline,
});
export const baselinePlus = (margin: number, baseline: number, what: string, unit: string): Target => ({
  text: `≤ ${what} + ${margin} ${unit}`,
  limit: baseline + margin,
});

export interface Bench {
  title: string;
  /** Kept out of the default run: runs only when its name is the filter (`npm run bench -- scale`). */
  optIn?: boolean;
  run(): Promise<BenchRow[]>;
}

/** One definition of each, shared with the tests (the driver benches report through them too). */
export { median, percentile } from "../server/test/support";

export async function timeMs(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "n/a";
  }
}

export function machineInfo(): string[] {
  return [
    `CPU: ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`,
    `Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `Kernel: ${os.release()}`,
    `Node: ${process.version}`,
    `libvirt: ${tryRun("virsh", ["--version"])}, QEMU: ${tryRun("qemu-system-x86_64", ["--version"]).split("\n")[0]}`,
    `crun: ${tryRun("crun", ["--version"]).split("\n")[0]}, conmon: ${tryRun("conmon", ["--version"]).split("\n")[0]}`,
    `Baselines: ${tryRun("podman", ["--version"])}, incus ${tryRun("incus", ["--version"])}`,
    `Load average (1, 5, 15 min) when written: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(", ")}`,
    `Acceleration: ${/\b(vmx|svm)\b/.test(tryRun("cat", ["/proc/cpuinfo"])) ? "kvm" : "TCG (no vmx/svm)"}`,
  ];
}

/** Tandem / baseline, as printed in the ratio column ("" without a baseline). */
export function ratio(row: BenchRow): string {
  if (!row.baseline) return "";
  const r = row.value / row.baseline.value;
  return Number.isFinite(r) ? `${fmt(r)}×` : "n/a";
}

/** "met", "missed" or "n/a" (a figure or its limit is missing) for each of the row's targets. */
export function verdicts(row: BenchRow): string[] {
  return (row.targets ?? []).map((t) =>
    !Number.isFinite(row.value) || !Number.isFinite(t.limit) ? "n/a" : row.value <= t.limit ? "met" : "**missed**",
  );
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
