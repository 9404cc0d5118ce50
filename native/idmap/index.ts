// Typed loader for the tandem_idmap addon: user namespace fds with a chosen mapping and
// idmapped bind mounts (open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount), which the
// container driver uses to show image layers to a user-namespaced container with shifted owners.
// Build: `bash scripts/build-native.sh` (or `cd native/idmap && npx node-gyp rebuild`).
import { addonLoader } from "../common/load";

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

/** Loads lazily so that importing this module never fails where the addon is not built. */
export const idmapAddon = addonLoader<Addon>(import.meta.url, "tandem_idmap");

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
