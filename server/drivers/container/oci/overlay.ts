// The per-container root file system: overlayfs with the image's unpacked layers as lower dirs
// and the container's own upper/work dirs. Mounted in the host namespace so it survives Tandem.
import { mkdirSync, readFileSync } from "node:fs";
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
  const target = dir.replace(/\/+$/, "");
  const mounts = readFileSync("/proc/self/mountinfo", "utf8");
  return mounts.split("\n").some((l) => l.split(" ")[4] === target);
}

export async function mountOverlay(lowerDirs: string[], upper: string, work: string, target: string): Promise<void> {
  if (isMountPoint(target)) return;
  for (const d of [upper, work, target]) mkdirSync(d, { recursive: true });
  await run(["mount", "-t", "overlay", "overlay", "-o", overlayOptions(lowerDirs, upper, work), target]);
}

export async function unmount(target: string): Promise<void> {
  for (let i = 0; i < 20 && isMountPoint(target); i++) {
    try {
      await run(["umount", target]);
    } catch (e) {
      // Busy right after the container died (the kernel drops its references lazily).
      if (i === 19) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
