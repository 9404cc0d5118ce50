// Free-space admission: anything that writes a lot (uploads, imports, container disks) asks
// first, so a full disk is refused up front with a clear error instead of failing half-way, and
// the reserve kept for the database (and the host) is never spent on guests.
import { statfsSync } from "node:fs";
import { AppError } from "./errors";

/** Long writes (uploads, unpacking) ask again at least this often: others share the disk. */
export const FREE_SPACE_CHECK_BYTES = 64 * 1024 * 1024;

/** Bytes an unprivileged writer could still use on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(n < 10 * 1024 ** 3 ? 2 : 1)} GiB`;

/**
 * Throws INSUFFICIENT_RESOURCES unless `needed` bytes fit on `dir`'s file system with `reserve`
 * bytes left over. `what` names the thing being written ("the upload", "the container's disk").
 */
export function assertFreeSpace(dir: string, needed: number, reserve: number, what: string): void {
  const free = freeBytes(dir);
  if (free - needed < reserve) {
    const usable = Math.max(0, free - reserve);
    throw new AppError(
      "INSUFFICIENT_RESOURCES",
      `${what} needs ${gib(needed)} but only ${gib(usable)} is free (${gib(reserve)} is kept in reserve for the database)`,
    );
  }
}
