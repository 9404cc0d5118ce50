// The per-container root file system: overlayfs with the image's unpacked layers as lower dirs
// and the container's own upper/work dirs. Mounted in the host namespace so it survives Tandem.
// For a user-namespaced container each lower layer is first bound idmapped (the image's owners
// shifted into the container's host id range: root-owned files show as its mapped root, setuid
// bits and other owners kept), the overlay is mounted over those binds, and the binds are then
// detached again: overlay holds its own private copies, so one mount per container remains.
// (The overlay itself cannot be idmapped; crun's idmap option applies to mounts[] only.)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
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

export function isMountPoint(dir: string): boolean {
  return mountPoints().has(dir.replace(/\/+$/, ""));
}

/** Every mount point of Tandem's mount namespace (mountinfo's fifth field). */
function mountPoints(): Set<string> {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8");
  return new Set(mounts.split("\n").map((l) => l.split(" ")[4] ?? ""));
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
    const mounted = mountPoints();
    const left = targets.filter((t) => mounted.has(t.replace(/\/+$/, "")));
    if (left.length === 0) return;
    try {
      await run(["umount", ...left]);
    } catch (e) {
      if (i === 19) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
