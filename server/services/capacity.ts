// The one capacity check: a guest may not ask for more CPUs or memory than the host has.
// INSUFFICIENT_RESOURCES (507) for create and resize alike; the host's size comes from HostService.
import { AppError } from "../domain/errors";

export interface HostCapacity {
  cpus: number;
  memoryBytes: number;
}

export function assertFits(cap: HostCapacity, size: { vcpus?: number; memoryMiB?: number }): void {
  if (size.vcpus !== undefined && size.vcpus > cap.cpus) {
    throw new AppError("INSUFFICIENT_RESOURCES", `vcpus ${size.vcpus} exceeds the host's ${cap.cpus} CPUs`);
  }
  if (size.memoryMiB !== undefined && size.memoryMiB * 1024 * 1024 > cap.memoryBytes) {
    const hostMiB = Math.floor(cap.memoryBytes / 1024 / 1024);
    throw new AppError("INSUFFICIENT_RESOURCES", `memoryMiB ${size.memoryMiB} exceeds the host's ${hostMiB} MiB`);
  }
}
