// A container's root file system as the host prepares it: the writable layer (its disk image, or
// upper/ in its directory) with the image's layers below it as one overlay at rootfs/, the /etc
// files Tandem provides (hostname, hosts, resolv.conf), and the image user resolved from the
// image's own passwd and group files.
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AppError } from "../../../domain/errors";
import type { Logger } from "../../../domain/logger";
import { idMapOf } from "./idmap-ranges";
import type { ContainerLayout, ContainerPaths } from "./layout";
import { bindLowers, detachLeftoverBinds, isMountPoint, mountOverlay, unmount, type Lowers } from "./overlay";
import type { ContainerRecord } from "./record";
import { readImageFile } from "./rootfs-files";
import { resolveUser } from "./spec";
import { assertVolumesUnmounted, unmountVolumes } from "./volumes";
import { imageRootMode, mountLayer, writableDirs } from "./writable-layer";

export class RootFs {
  constructor(private readonly layout: ContainerLayout) {}

  /**
   * Mounts what the root file system stands on: the container's disk (if any), then the overlay.
   * The disk's mount (a process) runs while the lower layers are bound here: the binds are
   * synchronous (a clone of Tandem's process, 5–20 ms under load) and need nothing of the disk.
   */
  async mount(rec: ContainerRecord): Promise<void> {
    const paths = this.layout.paths(rec.uuid);
    if (isMountPoint(paths.rootfs)) return;
    const owner = rec.idRange ? { uid: rec.idRange.start, gid: rec.idRange.start } : { uid: 0, gid: 0 };
    const rootMode = imageRootMode(rec.lowerDirs);
    const layer = rec.diskGiB
      ? mountLayer(paths.diskImage, paths.layer, owner, rootMode)
      : Promise.resolve(writableDirs(paths.dir, owner, rootMode));
    let lowers: Lowers;
    try {
      lowers = bindLowers(
        rec.lowerDirs,
        rec.idRange ? { map: idMapOf(rec.idRange), bindDir: paths.lowerBinds } : undefined,
      );
    } catch (e) {
      // The disk's mount settles first: the cleanup after a failed create never races it.
      await layer.catch(() => undefined);
      throw e;
    }
    try {
      const { upper, work } = await layer;
      await mountOverlay(lowers.dirs, upper, work, paths.rootfs);
    } finally {
      lowers.release();
    }
  }

  /** The overlay, then the disk below it (its loop device goes with it: mounted autoclear). */
  async unmount(uuid: string): Promise<void> {
    const paths = this.layout.paths(uuid);
    // Volumes and binds first: nothing of the container may stay mounted under its directory.
    await unmountVolumes(paths.dir);
    detachLeftoverBinds(paths.lowerBinds);
    await unmount(paths.rootfs, paths.layer);
  }

  /** Throws INTERNAL when one of the container's mounts is still there (before its files go). */
  assertUnmounted(uuid: string): void {
    const paths = this.layout.paths(uuid);
    assertVolumesUnmounted(paths.dir);
    for (const m of [paths.rootfs, paths.layer]) {
      if (isMountPoint(m)) throw new AppError("INTERNAL", `cannot unmount ${m}`);
    }
  }
}

/**
 * hostname, hosts and resolv.conf for the container (bound over its /etc files by the spec).
 * `gateway` is the resolver a container with an address is told about; `mappedRoot` the host id
 * of a user-namespaced container's root.
 */
export function writeEtc(
  paths: ContainerPaths,
  hostname: string,
  ip: string | null,
  gateway: string,
  mappedRoot: number | null,
  /** resolv.conf's text when the container's resolvers are not the bridge's (NICs on networks). */
  resolv?: string,
): void {
  mkdirSync(paths.etc, { recursive: true });
  writeFileSync(path.join(paths.etc, "hostname"), `${hostname}\n`);
  writeFileSync(
    path.join(paths.etc, "hosts"),
    `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${ip ? `${ip}\t${hostname}\n` : `127.0.1.1\t${hostname}\n`}`,
  );
  // No uplink: the gateway is the only resolver a container could reach, and it runs none.
  writeFileSync(path.join(paths.etc, "resolv.conf"), resolv ?? (ip ? `nameserver ${gateway}\n` : ""));
  // Readable by every user inside (Tandem's umask would make them 0600); owned by the
  // container's own root when it has a user namespace, which must also reach the directory.
  for (const f of ["hostname", "hosts", "resolv.conf"]) {
    chmodSync(path.join(paths.etc, f), 0o644);
    if (mappedRoot !== null) chownSync(path.join(paths.etc, f), mappedRoot, mappedRoot);
  }
  if (mappedRoot !== null) {
    chownSync(paths.etc, 0, mappedRoot);
    chmodSync(paths.etc, 0o710);
  }
}

/** The image's User as uid/gid (VALIDATION when the image's files cannot resolve it). */
export function imageUser(rootfs: string, user: string | null | undefined, log: Logger): { uid: number; gid: number } {
  // Beneath the rootfs, no symlink followed, regular files under 1 MiB (rootfs-files.ts): a
  // link to /dev/zero or to a host file reads as no file, so only numeric or absent users work.
  const read = (f: string) => {
    try {
      return readImageFile(rootfs, f) ?? "";
    } catch (e) {
      log.warn({ file: f, err: String(e) }, "image file not read");
      return "";
    }
  };
  try {
    return resolveUser(user, read("etc/passwd"), read("etc/group"));
  } catch (e) {
    throw new AppError("VALIDATION", e instanceof Error ? e.message : String(e));
  }
}
