// The benchmark harness: each bench/*.bench.ts exports a Bench; run.ts runs them and writes
// bench/results.md with the machine and every figure beside a baseline measured in the same run.
import { execFileSync } from "node:child_process";
import os from "node:os";

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** What a user would run instead (or the floor), measured in this same run. */
  baseline?: { name: string; value: number };
  note?: string;
}

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
    `Acceleration: ${/\b(vmx|svm)\b/.test(tryRun("cat", ["/proc/cpuinfo"])) ? "kvm" : "TCG (no vmx/svm)"}`,
  ];
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return "n/a";
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}
