// Pure helpers for the storage views: how full a pool is, and which volumes belong to it or to
// a guest.
import type { Pool, Volume } from "@/server/contract";

/** Percent of the pool's capacity allocated (0 when libvirt reports no capacity). */
export function poolUsage(p: Pick<Pool, "capacityBytes" | "allocationBytes">): number {
  return p.capacityBytes > 0 ? Math.min(100, (p.allocationBytes / p.capacityBytes) * 100) : 0;
}

/** The bar turns red past 90 %: new volumes may not fit. */
export const usageTone = (pct: number): "blue" | "red" => (pct >= 90 ? "red" : "blue");

export const volumesIn = (pool: string, volumes: Volume[]) => volumes.filter((v) => v.pool === pool);

/** The volumes mounted into (or attached to) one guest, with its mount of each. */
export function volumesOf(guestId: string, volumes: Volume[]) {
  return volumes.flatMap((v) =>
    v.attachedTo.filter((a) => a.guestId === guestId).map((a) => ({ volume: v, mount: a })),
  );
}

/** Volumes a new mount can use: containers' filesystem volumes that no guest holds. */
export const freeFilesystemVolumes = (volumes: Volume[]) =>
  volumes.filter((v) => v.use === "filesystem" && v.attachedTo.length === 0);
