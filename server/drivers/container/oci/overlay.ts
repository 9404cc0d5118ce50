// The per-container root file system: overlayfs with the image's unpacked layers as lower dirs
// and the container's own upper/work dirs. Mounted in the host namespace so it survives Tandem.
// For a user-namespaced container each lower layer is first bound idmapped (the image's owners
// shifted into the container's host id range: root-owned files show as its mapped root, setuid
// bits and other owners kept), the overlay is mounted over those binds, and the binds are then
// detached again: overlay holds its own private copies, so one mount per container remains.
// (The overlay itself cannot be idmapped; crun's idmap option applies to mounts[] only.)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from "node:fs";
import path from "node:path";
import { detachMount, idmappedBinds, type IdMapEntry } from "../../../../native/idmap/index";
import { run } from "./run";

/** overlay's mount data must fit one page; long stores should use shorter data dirs. */
export const MAX_MOUNT_DATA = 4000;

export function overlayOptions(lowerDirs: string[], upper: string, work: string): string {
  for (const d of [...lowerDirs, upper, work]) {
    if (/[,:\s]/.test(d)) throw new Error(`overlay path '${d}' must not contain ',', ':' or spaces`);
  }
  const opts = `lowerdir=${lowerDirs.join(":")},upperdir=${upper},workdir=${work}`;
  if (opts.length > MAX_MOUNT_DATA)
    throw new Error(`too many image layers for one overlay mount (${lowerDirs.length})`);
  return opts;
}

/**
 * True when a file system is mounted at dir: its device differs from its parent directory's.
 * Two stat calls instead of reading /proc/self/mountinfo, which the kernel renders in full on
 * each read (559 mounts here: ~20 ms of Tandem's own CPU under load, several times per create
 * and removal, growing with every container's two mounts). What Tandem mounts at a container's
 * rootfs/ and layer/ (overlay, a loop-mounted ext4) always has its own device; a bind of the
 * parent's own file system would not be seen, and Tandem makes none there.
 */
export function isMountPoint(dir: string): boolean {
  try {
    const st = statSync(dir);
    const parent = statSync(path.dirname(path.resolve(dir)));
    return st.dev !== parent.dev || st.ino === parent.ino;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    // A mount that cannot be stat'ed (a dead file system): the kernel's own list decides.
    const target = path.resolve(dir);
    return readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .some((l) => l.split(" ")[4] === target);
  }
}

/** Lower layers shown through an id mapping; bindDir holds one short-lived mount point per layer. */
export interface LowerIdmap {
  map: IdMapEntry[];
  bindDir: string;
}

/** The lower dirs an overlay is mounted over, and what lets go of them once it is (or failed). */
export interface Lowers {
  dirs: string[];
  release(): void;
}

/**
 * Binds each lower layer idmapped (synchronous: the id mapping's user namespace is a clone of
 * Tandem's process) under bindDir; without idmap the layers themselves. The caller mounts the
 * overlay over `dirs` and then releases them, mounted or not.
 */
export function bindLowers(lowerDirs: string[], idmap?: LowerIdmap): Lowers {
  if (!idmap) return { dirs: lowerDirs, release: () => undefined };
  const binds = lowerDirs.map((source, i) => ({ source, target: path.join(idmap.bindDir, String(i)) }));
  mkdirSync(idmap.bindDir, { recursive: true, mode: 0o700 });
  for (const b of binds) {
    detachMount(b.target); // a bind left by a crash between bind and detach
    mkdirSync(b.target, { recursive: true, mode: 0o700 });
  }
  const release = () => {
    for (const b of binds) {
      detachMount(b.target);
      try {
        rmdirSync(b.target); // never recursive: a bind that did not detach must not be walked
      } catch {
        // still busy; the next mount detaches it
      }
    }
  };
  try {
    idmappedBinds(binds, { uid: idmap.map, gid: idmap.map }, { readonly: true });
  } catch (e) {
    release();
    throw e;
  }
  return { dirs: binds.map((b) => b.target), release };
}

/** The overlay at target over `lowers` (from bindLowers); a no-op when target is mounted. */
export async function mountOverlay(lowers: string[], upper: string, work: string, target: string): Promise<void> {
  if (isMountPoint(target)) return;
  for (const d of [upper, work, target]) mkdirSync(d, { recursive: true });
  await run(["mount", "-t", "overlay", "overlay", "-o", overlayOptions(lowers, upper, work), target]);
}

/**
 * Detaches the idmapped layer binds a crash left between binding and mounting the overlay (a
 * kill -9 of Tandem right there), so that removing the container's directory never meets, let
 * alone walks into, a bind of a shared image layer.
 */
export function detachLeftoverBinds(bindDir: string): void {
  if (!existsSync(bindDir)) return;
  for (const name of readdirSync(bindDir)) {
    const target = path.join(bindDir, name);
    detachMount(target);
    rmdirSync(target); // never recursive: a bind that did not detach must not be walked
  }
}

/**
 * Unmounts the targets in order (a mount before the one it stands on) with one `umount` run: a
 * removal's overlay and disk go in one process instead of two. What is still mounted after a
 * failure (busy right after the container died: the kernel drops its references lazily) is
 * tried again.
 */
export async function unmount(...targets: string[]): Promise<void> {
  for (let i = 0; ; i++) {
    const left = targets.filter(isMountPoint);
    if (left.length === 0) return;
    try {
      await run(["umount", ...left]);
    } catch (e) {
      if (i === 19) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
