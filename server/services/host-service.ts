// The host summary: capacity from the kernel, guest counts, backend health, acceleration.
import { existsSync, readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import os from "node:os";
import type { HostInfo } from "../contract/host";
import type { GuestDriver } from "../domain/driver";
import type { GuestService } from "./guest-service";

/** KVM only where the CPU really has vmx/svm and /dev/kvm exists; else QEMU's TCG. */
export function detectAccel(override: "kvm" | "qemu" | "auto"): "kvm" | "qemu" {
  if (override !== "auto") return override;
  try {
    const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
    return /\b(vmx|svm)\b/.test(cpuinfo) && existsSync("/dev/kvm") ? "kvm" : "qemu";
  } catch {
    return "qemu";
  }
}

export function memAvailableBytes(): number {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync("/proc/meminfo", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux: fall through */
  }
  return os.freemem();
}

export class HostService {
  constructor(
    private readonly hostId: string,
    private readonly dataDir: string,
    private readonly accel: "kvm" | "qemu",
    private readonly drivers: GuestDriver[],
    private readonly guests: GuestService,
  ) {}

  capacity() {
    return { cpus: os.cpus().length, memoryBytes: os.totalmem() };
  }

  async info(): Promise<HostInfo> {
    const [fs, list, backends] = await Promise.all([
      statfs(this.dataDir),
      this.guests.list(),
      Promise.all(
        this.drivers.map(async (d) => {
          const h = await d.health().catch((e: unknown) => ({ healthy: false, message: String(e) }));
          return { kind: d.kind, driver: d.constructor.name, ...h };
        }),
      ),
    ]);
    return {
      id: this.hostId,
      hostname: os.hostname(),
      cpus: os.cpus().length,
      memoryBytes: os.totalmem(),
      memoryAvailableBytes: memAvailableBytes(),
      diskBytes: fs.blocks * fs.bsize,
      diskFreeBytes: fs.bavail * fs.bsize,
      loadAverage: os.loadavg(),
      uptimeSeconds: os.uptime(),
      accel: this.accel,
      guests: {
        total: list.length,
        running: list.filter((g) => g.state === "running").length,
        vms: list.filter((g) => g.kind === "vm").length,
        containers: list.filter((g) => g.kind === "container").length,
      },
      backends,
      degraded: backends.some((b) => !b.healthy),
    };
  }
}
