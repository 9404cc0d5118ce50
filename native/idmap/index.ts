// Typed loader for the tandem_idmap addon: user namespace fds with a chosen mapping and
// idmapped bind mounts (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount), which the
// container driver uses to show image layers to a user-namespaced container with shifted owners.
// Build: `bash scripts/build-native.sh` (or `cd native/idmap && npx node-gyp rebuild`).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One line of uid_map / gid_map: ids inside..inside+count map to outside..outside+count. */
export interface IdMapEntry {
  inside: number;
  outside: number;
  count: number;
}

interface Addon {
  userns(uidMap: IdMapEntry[], gidMap: IdMapEntry[]): number;
  idmapBind(source: string, target: string, usernsFd: number, readonly: boolean): void;
  detach(target: string): void;
  closeFd(fd: number): void;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const BUILT = ["Release", "Debug"].map((d) => path.join(here, "build", d, "tandem_idmap.node"));

let cached: Addon | undefined;
/** Loads lazily so that importing this module never fails where the addon is not built. */
export function idmapAddon(): Addon {
  if (!cached) {
    const found = BUILT.find((p) => existsSync(p));
    if (!found) throw new Error(`tandem_idmap addon is not built: run 'bash scripts/build-native.sh'`);
    cached = createRequire(import.meta.url)(found) as Addon;
  }
  return cached;
}

export function isIdmapAddonBuilt(): boolean {
  return BUILT.some((p) => existsSync(p));
}

/**
 * Bind-mounts each source at its target, idmapped through one new user namespace with `map`:
 * an owner id on disk is read as an id inside the namespace, so through the mount a file owned
 * by 0 on disk shows as owned by the map's outside id for 0 (and writes go the other way). The
 * namespace fd is closed afterwards: the mounts keep the namespace alive. On failure, mounts
 * made so far are detached again.
 */
export function idmappedBinds(
  binds: { source: string; target: string }[],
  map: { uid: IdMapEntry[]; gid: IdMapEntry[] },
  opts: { readonly: boolean },
): void {
  const addon = idmapAddon();
  const fd = addon.userns(map.uid, map.gid);
  const done: string[] = [];
  try {
    for (const b of binds) {
      addon.idmapBind(b.source, b.target, fd, opts.readonly);
      done.push(b.target);
    }
  } catch (e) {
    for (const t of done.reverse()) addon.detach(t);
    throw e;
  } finally {
    addon.closeFd(fd);
  }
}

/** Lazy unmount (MNT_DETACH); a target that is not a mount point is left alone. */
export function detachMount(target: string): void {
  idmapAddon().detach(target);
}
