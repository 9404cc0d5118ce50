// A container's named volumes and bind mounts on the host. A named volume is a raw file in a
// storage pool with an ext4 file system (made once, here, when the volume is created). At each
// start it is loop-mounted under the container's directory (`volumes/<i>.fs`) and, for a
// user-namespaced container, bound again idmapped through the container's id map
// (`volumes/<i>`): on disk the files keep the owners the container sees (its root is 0 on disk,
// as in any container that mounts it next, whatever block of host ids that one has), exactly
// as the rootfs's image layers are shown (overlay.ts). The OCI spec binds `volumes/<i>` at the
// mount's path. A bind mount's host directory is opened beneath its allow-listed root with no
// symlink followed (native/beneath) and bound at `volumes/b<i>` through that descriptor, so a
// link swapped in later cannot redirect it; it is not idmapped (host owners show as nobody, and
// the container's root gets no host root's rights over them). Everything under `volumes/` is
// unmounted when the container stops or goes (root-fs.ts), before its directory is removed.
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { z } from "zod";
import { beneathConstants, isBeneathError, openBeneath, withRootDir } from "../../../../native/beneath/index";
import { detachMount, idmappedBinds } from "../../../../native/idmap/index";
import { AppError } from "../../../domain/errors";
import type { ResolvedBind, ResolvedVolume } from "../../../domain/storage";
import { idMapOf } from "./idmap-ranges";
import { isMountPoint, unmount } from "./overlay";
import { run } from "./run";

export const VolumeRecord = z.object({
  volumeId: z.string(),
  name: z.string(),
  path: z.string(),
  target: z.string(),
  readOnly: z.boolean(),
});
export const BindRecord = z.object({
  root: z.string(),
  relative: z.string(),
  target: z.string(),
  readOnly: z.boolean(),
});

interface MountsOf {
  volumes?: ResolvedVolume[];
  binds?: ResolvedBind[];
  idRange: { start: number; size: number } | null;
}

export const volumesDir = (containerDir: string) => path.join(containerDir, "volumes");

/**
 * Mount points at or under `dir` from the kernel's own list. A bind of a directory on the same
 * file system has the same st_dev as its parent, so overlay.ts's stat test cannot see it; a
 * missed bind would let the container directory's removal recurse into the host directory.
 */
export function mountsUnder(dir: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const field = line.split(" ")[4];
    if (!field) continue;
    const target = field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (target === dir || target.startsWith(`${dir}/`)) out.add(target);
  }
  return out;
}

/**
 * ext4 on the volume's file (libvirt made it, fully allocated): root-owned root directory (the
 * container's root, on disk), no blocks reserved, lazy table init. mke2fs punches holes in a
 * regular file's metadata areas, so the file is allocated again afterwards: the size limit then
 * never needs host space later.
 */
export async function makeVolumeFilesystem(file: string): Promise<void> {
  if (!existsSync(file)) {
    throw new AppError("BACKEND_UNAVAILABLE", `the volume file ${file} is not on this host (a remote pool?)`);
  }
  await run([
    "mkfs.ext4",
    "-q",
    "-F",
    "-m",
    "0",
    "-E",
    "lazy_itable_init=1,lazy_journal_init=1,nodiscard,root_owner=0:0",
    file,
  ]);
  // A block device (a logical pool's volume) has all its blocks already.
  const st = statSync(file);
  if (st.isFile()) await run(["fallocate", "-l", String(st.size), file]);
}

/** Opens a bind's host directory beneath its root, no symlink followed; VALIDATION naming binds[i].hostPath. */
function openBind(b: ResolvedBind, i: number): number {
  const c = beneathConstants();
  try {
    return withRootDir(b.root, (fd) =>
      b.relative === "" || b.relative === "."
        ? openBeneath(fd, ".", c.O_PATH | c.O_DIRECTORY)
        : openBeneath(fd, b.relative, c.O_PATH | c.O_DIRECTORY | c.O_NOFOLLOW),
    );
  } catch (e) {
    const field = `binds[${i}].hostPath`;
    const why = isBeneathError(e, "ELOOP", "EXDEV")
      ? "leads through a symbolic link (not followed)"
      : isBeneathError(e, "ENOTDIR")
        ? "is not a directory"
        : isBeneathError(e, "ENOENT")
          ? "does not exist"
          : `cannot be opened (${(e as Error).message})`;
    throw new AppError("VALIDATION", `${field}: ${path.join(b.root, b.relative)} ${why}`, { field });
  }
}

/** Checks each bind can be opened as a directory beneath its root (400 naming the bind). */
export function checkBinds(binds: readonly ResolvedBind[]): void {
  binds.forEach((b, i) => closeSync(openBind(b, i)));
}

/**
 * Mounts the container's volumes and binds under `volumes/` (idempotent: what is mounted is
 * kept) and returns the OCI mounts that bind them into the container. On failure what this call
 * mounted is unmounted again.
 */
export async function mountVolumes(
  containerDir: string,
  rec: MountsOf,
): Promise<{ destination: string; type: string; source: string; options: string[] }[]> {
  const dir = volumesDir(containerDir);
  const vols = rec.volumes ?? [];
  const binds = rec.binds ?? [];
  if (!vols.length && !binds.length) return [];
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (rec.idRange) {
    // crun opens the sources as the container's root: it may search here, list nothing.
    chownSync(dir, 0, rec.idRange.start);
    chmodSync(dir, 0o710);
  }
  const out: { destination: string; type: string; source: string; options: string[] }[] = [];
  try {
    for (const [i, v] of vols.entries()) {
      const fs = path.join(dir, `${i}.fs`);
      const shown = path.join(dir, String(i));
      if (!isMountPoint(fs)) {
        mkdirSync(fs, { recursive: true, mode: 0o700 });
        // Which volume file is mounted here: mountedVolumeFiles reads it (the one-writer rule).
        writeFileSync(path.join(dir, `${i}.src`), v.path, { mode: 0o600 });
        await run(["mount", "-t", "ext4", "-o", `loop,nodev,nosuid${v.readOnly ? ",ro" : ""}`, v.path, fs]);
      }
      if (rec.idRange && !isMountPoint(shown)) {
        mkdirSync(shown, { recursive: true, mode: 0o700 });
        const map = idMapOf(rec.idRange);
        idmappedBinds([{ source: fs, target: shown }], { uid: map, gid: map }, { readonly: v.readOnly });
      }
      out.push(specMount(rec.idRange ? shown : fs, v.target, v.readOnly));
    }
    for (const [i, b] of binds.entries()) {
      const at = path.join(dir, `b${i}`);
      if (!mountsUnder(dir).has(at)) {
        mkdirSync(at, { recursive: true, mode: 0o700 });
        const fd = openBind(b, i);
        try {
          // Through the descriptor: the directory opened beneath the root, not a path re-resolved.
          await run(["mount", "--bind", `/proc/${process.pid}/fd/${fd}`, at]);
          if (b.readOnly) await run(["mount", "-o", "remount,bind,ro,nosuid,nodev", at]);
        } finally {
          closeSync(fd);
        }
      }
      out.push(specMount(at, b.target, b.readOnly));
    }
  } catch (e) {
    await unmountVolumes(containerDir).catch(() => undefined);
    throw e;
  }
  return out;
}

function specMount(source: string, destination: string, readOnly: boolean) {
  return { destination, type: "bind", source, options: ["bind", "nosuid", "nodev", readOnly ? "ro" : "rw"] };
}

/**
 * Puts the mounts into the bundle's config.json in place of the previous start's: the spec is
 * written at create, and a volume attached later applies at the next start.
 */
export function applySpecMounts(
  configPath: string,
  containerDir: string,
  mounts: { destination: string; type: string; source: string; options: string[] }[],
): void {
  const prefix = `${volumesDir(containerDir)}/`;
  const spec = JSON.parse(readFileSync(configPath, "utf8")) as { mounts?: { source?: string }[] };
  const kept = (spec.mounts ?? []).filter((m) => !(m.source ?? "").startsWith(prefix));
  spec.mounts = [...kept, ...mounts];
  writeFileSync(configPath, JSON.stringify(spec, null, 2));
}

/** Every mount under `volumes/`: idmapped views and binds first, then the loop mounts below them. */
export async function unmountVolumes(containerDir: string): Promise<void> {
  const dir = volumesDir(containerDir);
  const mounted = [...mountsUnder(dir)];
  if (!mounted.length) return;
  const upper = mounted.filter((m) => /^(\d+|b\d+)$/.test(path.basename(m)));
  const lower = mounted.filter((m) => /^\d+\.fs$/.test(path.basename(m)));
  // An idmapped view is a detached-tree mount: unmounted the way the layer binds are.
  for (const m of upper) if (/^\d+$/.test(path.basename(m))) detachMount(m);
  const binds = upper.filter((m) => path.basename(m).startsWith("b"));
  if (binds.length) await run(["umount", ...binds]);
  await unmount(...lower);
  const left = [...mountsUnder(dir)];
  if (left.length) throw new AppError("INTERNAL", `cannot unmount ${left.join(", ")}`);
}

/** Throws INTERNAL naming a mount still under `volumes/` (the directory must not be removed then). */
export function assertVolumesUnmounted(containerDir: string): void {
  const [left] = mountsUnder(volumesDir(containerDir));
  if (left) throw new AppError("INTERNAL", `cannot unmount ${left}`);
}

/** The volume files mounted under this container's directory now. */
export function mountedVolumeFiles(containerDir: string): string[] {
  const dir = volumesDir(containerDir);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+\.fs$/.test(n) && isMountPoint(path.join(dir, n)))
    .map((n) => {
      try {
        return readFileSync(path.join(dir, n.replace(/\.fs$/, ".src")), "utf8");
      } catch {
        return "";
      }
    })
    .filter(Boolean);
}

/**
 * The container driver's side of domain/storage.ts VolumeMountCapable: making a new volume's
 * file system, keeping each container's mounts in its record for its next start, and which
 * volume files are mounted now. Reaches the driver's record store and layout lazily (the driver
 * makes them in its constructor).
 */
export class ContainerVolumeMounts {
  constructor(
    private readonly store: () => {
      all(): { uuid: string; id: string }[];
      update(uuid: string, patch: { volumes?: ResolvedVolume[]; binds?: ResolvedBind[] }): unknown;
      has(uuid: string): boolean;
    },
    private readonly dirOf: (uuid: string) => string,
  ) {}

  makeFilesystem(volumePath: string): Promise<void> {
    return makeVolumeFilesystem(volumePath);
  }

  async setMounts(id: string, mounts: { volumes: ResolvedVolume[]; binds?: ResolvedBind[] }): Promise<void> {
    const rec = this.store()
      .all()
      .find((r) => r.id === id);
    if (!rec) throw new AppError("NOT_FOUND", `container '${id}' was not found`);
    this.store().update(rec.uuid, { volumes: mounts.volumes, ...(mounts.binds ? { binds: mounts.binds } : {}) });
  }

  async mountedVolumes(): Promise<{ path: string; guestId: string }[]> {
    return this.store()
      .all()
      .flatMap((r) => mountedVolumeFiles(this.dirOf(r.uuid)).map((p) => ({ path: p, guestId: r.id })));
  }

  checkBinds(binds: ResolvedBind[]): void {
    checkBinds(binds);
  }
}
