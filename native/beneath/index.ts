// Typed loader for the tandem_beneath addon: openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
// RESOLVE_NO_MAGICLINKS, and fchownat/utimensat that act on a descriptor (AT_EMPTY_PATH). The
// container driver uses it wherever a path comes from an image: unpacking layers and reading a
// rootfs's etc/passwd. Build: `bash scripts/build-native.sh`.
import { closeSync, constants as fsConstants, openSync } from "node:fs";
import { addonLoader } from "../common/load";

export interface BeneathConstants {
  O_PATH: number;
  O_NOFOLLOW: number;
  O_DIRECTORY: number;
  O_NONBLOCK: number;
  O_NOCTTY: number;
  AT_EMPTY_PATH: number;
  AT_SYMLINK_NOFOLLOW: number;
}

interface Addon {
  openBeneath(dirfd: number, relPath: string, flags: number, mode: number): number;
  fchownat(dirfd: number, relPath: string, uid: number, gid: number, flags: number): void;
  utimensat(dirfd: number, relPath: string, atime: number, mtime: number, flags: number): void;
  constants: BeneathConstants;
}

/** An error from the addon: `code` is the errno name, as in Node's own fs errors. */
export interface BeneathError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

/** Loads lazily so that importing this module never fails where the addon is not built. */
export const beneathAddon = addonLoader<Addon>(import.meta.url, "tandem_beneath");

export function beneathConstants(): BeneathConstants {
  return beneathAddon().constants;
}

/**
 * Opens `relPath` under the directory `dirfd` without leaving it and without following any
 * symlink on the way, the last component included (ELOOP, or EXDEV for `..` escapes). With
 * O_PATH|O_NOFOLLOW a final symlink is opened itself. The fd is close-on-exec; the caller closes.
 */
export function openBeneath(dirfd: number, relPath: string, flags: number, mode = 0): number {
  return beneathAddon().openBeneath(dirfd, relPath, flags, mode);
}

export function fchownat(dirfd: number, relPath: string, uid: number, gid: number, flags: number): void {
  beneathAddon().fchownat(dirfd, relPath, uid, gid, flags);
}

/** Times in seconds (fractions allowed). */
export function utimensat(dirfd: number, relPath: string, atime: number, mtime: number, flags: number): void {
  beneathAddon().utimensat(dirfd, relPath, atime, mtime, flags);
}

/** Opens a trusted directory (one Tandem made) as the anchor for openBeneath; caller closes. */
export function openRootDir(dir: string): number {
  return openSync(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW);
}

/** Runs fn with the directory open as an anchor and closes it afterwards, whatever happens. */
export function withRootDir<T>(dir: string, fn: (rootFd: number) => T): T {
  const fd = openRootDir(dir);
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

export function isBeneathError(e: unknown, ...codes: string[]): e is BeneathError {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" && (codes.length === 0 || codes.includes(code));
}
