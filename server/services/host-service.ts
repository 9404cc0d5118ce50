// The host summary: capacity from the kernel, guest counts, backend health, acceleration.
import { readFileSync } from "node:fs";
import { statfs } from "node:fs/promises";
import os from "node:os";
import type { HostInfo } from "../contract/host";
import { hasAccel, type GuestDriver } from "../domain/driver";
import type { GuestService } from "./guest-service";

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
      // The VM backend's own detection (accel.ts); without one, nothing is accelerated.
      accel: this.drivers.find(hasAccel)?.accel ?? "qemu",
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
