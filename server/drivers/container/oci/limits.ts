// New CPU and memory limits for a container: applied live to a running one through `crun update`
// and written into its bundle's config.json, which the next start uses.
import { readFileSync, writeFileSync } from "node:fs";
import { swapAccounted, type CgroupLayout } from "./cgroups";
import type { ContainerPaths } from "./layout";
import type { Runtime } from "./runtime";
import { CPU_PERIOD_US, type OciSpec } from "./spec";

export interface Limits {
  vcpus?: number;
  memoryMiB?: number;
}

export async function applyLimitsLive(runtime: Runtime, runtimeId: string, size: Limits, cgroups: CgroupLayout) {
  await runtime.update(runtimeId, {
    memoryBytes: size.memoryMiB !== undefined ? size.memoryMiB * 1024 * 1024 : undefined,
    swap: swapAccounted(cgroups),
    cpuQuotaUs: size.vcpus !== undefined ? Math.round(size.vcpus * CPU_PERIOD_US) : undefined,
    cpuPeriodUs: size.vcpus !== undefined ? CPU_PERIOD_US : undefined,
  });
}

/** The bundle's config.json with the new limits (memory's swap limit follows where it is set). */
export function writeLimits(paths: ContainerPaths, size: Limits): void {
  const spec = JSON.parse(readFileSync(paths.config, "utf8")) as OciSpec;
  const res = spec.linux.resources;
  if (size.memoryMiB !== undefined) {
    const bytes = size.memoryMiB * 1024 * 1024;
    res.memory = { ...res.memory, limit: bytes, ...(res.memory?.swap !== undefined ? { swap: bytes } : {}) };
  }
  if (size.vcpus !== undefined) res.cpu = { quota: Math.round(size.vcpus * CPU_PERIOD_US), period: CPU_PERIOD_US };
  writeFileSync(paths.config, JSON.stringify(spec));
}
