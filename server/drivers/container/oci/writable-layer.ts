// A container's writable layer with a size limit: overlay's upper/ and work/ live on the
// container's own ext4 file system in a preallocated image file (`disk.ext4` in the container's
// directory), loop-mounted while the container runs. Preallocated (fallocate), so a container
// that fills it gets ENOSPC inside and never takes space from the host's file system or the
// database's reserve; a file system of its own, so no quota support is needed on the host.
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
} from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { isMountPoint } from "./overlay";
import { run } from "./run";

export const GiB = 1024 ** 3;

/**
 * Makes the image's file system on a sparse file (~30 ms for any size here). Lazy inode-table and
 * journal init keep mkfs from writing the whole image; nodiscard keeps it from discarding; no
 * blocks are reserved for root (the container's root is the only user). mke2fs zeroes its
 * metadata areas by punching holes into a regular file, so preallocation comes after.
 */
export async function formatLayerImage(image: string, bytes: number): Promise<void> {
  if (!Number.isSafeInteger(bytes) || bytes < 64 * 1024 * 1024)
    throw new Error("a writable layer needs at least 64 MiB");
  rmSync(image, { force: true });
  try {
    closeSync(openSync(image, "wx", 0o600));
    truncateSync(image, bytes);
    await run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard", "-m", "0", image]);
  } catch (e) {
    rmSync(image, { force: true });
    throw e;
  }
}

/**
 * Allocates every block of the image on the host (fallocate; unwritten extents, so ~10 ms):
 * from then on the container's writes never need host space. Safe while the image is mounted.
 */
export async function preallocateLayerImage(image: string, bytes: number): Promise<void> {
  await run(["fallocate", "-l", String(bytes), image]);
  const allocated = statSync(image).blocks * 512;
  if (allocated < bytes) throw new Error(`only ${allocated} of ${bytes} bytes of the disk image were allocated`);
}

/** format + preallocate, one after the other (the driver overlaps preallocation with mounting). */
export async function createLayerImage(image: string, bytes: number): Promise<void> {
  await formatLayerImage(image, bytes);
  await preallocateLayerImage(image, bytes);
}

/**
 * Takes a removed container's image out of the way at once (a rename) and frees its blocks in
 * the background: unlinking a few GiB of extents takes 100–200 ms here (the host file system
 * discards), which a removal need not wait for. Leftovers of a crash are swept by sweepTrash.
 */
export function discardLayerImage(image: string, trashDir: string, name: string): Promise<void> {
  if (!existsSync(image)) return Promise.resolve();
  const trash = path.join(trashDir, `${TRASH_PREFIX}${name}`);
  renameSync(image, trash);
  return rm(trash, { force: true });
}

const TRASH_PREFIX = ".removed-disk-";

/** Deletes images that a crash left in the trash (files only: container dirs are not touched). */
export function sweepTrash(trashDir: string): Promise<void>[] {
  let names: string[] = [];
  try {
    names = readdirSync(trashDir).filter((n) => n.startsWith(TRASH_PREFIX));
  } catch {
    // no directory, nothing to sweep
  }
  return names.map((n) => rm(path.join(trashDir, n), { force: true }));
}

/**
 * Mounts the image at mountPoint (idempotent) and returns overlay's upper and work dirs on it.
 * New upper/work dirs get `owner` (the container's mapped root) and upper gets `rootMode`, the
 * mode the image's root directory has: overlay shows upper's root as the container's "/".
 */
export async function mountLayer(
  image: string,
  mountPoint: string,
  owner: { uid: number; gid: number },
  rootMode: number,
): Promise<{ upper: string; work: string }> {
  if (!existsSync(image)) throw new Error(`the container's disk image ${image} is missing`);
  if (!isMountPoint(mountPoint)) {
    mkdirSync(mountPoint, { recursive: true, mode: 0o700 });
    // noinit_itable: no background zeroing of inode tables, which the preallocated (unwritten,
    // so reading as zeros) image does not need and which would write the whole table area.
    await run(["mount", "-t", "ext4", "-o", "loop,nodev,noinit_itable", image, mountPoint]);
  }
  return writableDirs(mountPoint, owner, rootMode);
}

/** upper/ and work/ under root, made (with owner and modes) only if missing. */
export function writableDirs(
  root: string,
  owner: { uid: number; gid: number },
  rootMode: number,
): { upper: string; work: string } {
  const upper = path.join(root, "upper");
  const work = path.join(root, "work");
  if (!existsSync(upper)) {
    mkdirSync(upper, { recursive: true });
    // chmod after mkdir: the process umask (077 for Tandem) must not shape the container's "/".
    chmodSync(upper, rootMode & 0o7777);
    chownSync(upper, owner.uid, owner.gid);
  }
  if (!existsSync(work)) {
    mkdirSync(work, { recursive: true, mode: 0o700 });
    chownSync(work, owner.uid, owner.gid);
  }
  return { upper, work };
}

/** The image's root directory mode (its top layer's), which the container's "/" keeps. */
export function imageRootMode(lowerDirs: string[]): number {
  try {
    return lowerDirs[0] ? statSync(lowerDirs[0]).mode & 0o7777 : 0o755;
  } catch {
    return 0o755;
  }
}
