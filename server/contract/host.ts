// The host summary: capacity, usage, backends' health.
import { z } from "zod";

export const BackendHealth = z.object({
  kind: z.enum(["vm", "container"]),
  driver: z.string(),
  healthy: z.boolean(),
  message: z.string(),
});

export const HostInfo = z.object({
  id: z.string(),
  hostname: z.string(),
  cpus: z.number(),
  memoryBytes: z.number(),
  memoryAvailableBytes: z.number(),
  diskBytes: z.number(),
  diskFreeBytes: z.number(),
  loadAverage: z.array(z.number()),
  uptimeSeconds: z.number(),
  accel: z.enum(["kvm", "qemu"]),
  guests: z.object({ total: z.number(), running: z.number(), vms: z.number(), containers: z.number() }),
  backends: z.array(BackendHealth),
  degraded: z.boolean(),
});
export type HostInfo = z.infer<typeof HostInfo>;
