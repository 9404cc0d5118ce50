// Owns the data directory's permission contract, applied at every start before anything is
// written there. The directory holds password and session hashes and container env secrets in
// the database, guests' disks and unpacked image layers (setuid files included): no local user
// may read or reach any of it. But some must be traversable by unprivileged ids Tandem itself
// runs guests as: QEMU as libvirt-qemu opens disks under images/ and vms/, and a
// user-namespaced container root must walk down to its rootfs under containers/. So:
//   <data>                      0711  traversable, not listable
//   tandem.db, -wal, -shm, -journal  0600
//   images/, vms/               0710  root:libvirt-qemu (group only where that group exists)
//   containers/                 0711  (each container's own directory is the driver's to close)
//   anything else at the top    0700 (another Tandem's data directory nested here: 0711)
// Tandem's umask is 077 (server/main.ts), so what it creates later starts private too.
import { chmodSync, chownSync, existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const DATA_DIR_MODE = 0o711;
export const DB_FILE_MODE = 0o600;
const GUEST_STORE_MODE = 0o710;
const CONTAINERS_MODE = 0o711;
const PRIVATE_MODE = 0o700;
/** Tandem's umask: files 0600 and directories 0700 unless a mode is given on purpose. */
export const TANDEM_UMASK = 0o077;

/** The group QEMU runs as under libvirt's DAC driver (Debian's libvirt-daemon-system). */
export const QEMU_GROUP = "libvirt-qemu";

/** A group's gid from /etc/group (where system groups live), or null when it has none. */
export function groupId(name: string, groupFile = "/etc/group"): number | null {
  if (!existsSync(groupFile)) return null;
  for (const line of readFileSync(groupFile, "utf8").split("\n")) {
    const [n, , gid] = line.split(":");
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return null;
}

const DB_SUFFIXES = ["", "-wal", "-shm", "-journal"];

/** The SQLite file behind a `file:` DATABASE_URL, or null for anything else. */
export function databaseFile(databaseUrl: string): string | null {
  if (!databaseUrl.startsWith("file:")) return null;
  return path.resolve(databaseUrl.slice("file:".length).split("?")[0]!);
}

/** What one top-level entry of the data directory must be: mode, and group when it matters. */
export function topLevelMode(
  name: string,
  isDir: boolean,
  dbBase: string | null,
  nestedDataDir = false,
): { mode: number; group?: string } {
  if (dbBase !== null && DB_SUFFIXES.some((s) => name === dbBase + s)) return { mode: DB_FILE_MODE };
  if (isDir && (name === "images" || name === "vms")) return { mode: GUEST_STORE_MODE, group: QEMU_GROUP };
  if (isDir && name === "containers") return { mode: CONTAINERS_MODE };
  // Another Tandem's data directory inside this one (the e2e server's data/e2e): its guests
  // must still be reached through it; its own server applies this contract below it.
  if (isDir && nestedDataDir) return { mode: DATA_DIR_MODE };
  return { mode: PRIVATE_MODE };
}

function setMode(p: string, want: { mode: number; group?: string }, groups: Map<string, number | null>): void {
  // Symlinks are left alone: chmod would follow them out of the data directory.
  const st = lstatSync(p);
  if (st.isSymbolicLink()) return;
  if (want.group) {
    if (!groups.has(want.group)) groups.set(want.group, groupId(want.group));
    const gid = groups.get(want.group);
    if (gid != null && st.gid !== gid) chownSync(p, st.uid, gid);
  }
  if ((st.mode & 0o7777) !== want.mode) chmodSync(p, want.mode);
}

/**
 * Applies the contract to `dataDir` (which must exist) and to the database files, wherever the
 * database lives. Only the top level is walked: below it, each owner sets its own modes.
 */
export function applyDataDirContract(dataDir: string, databaseUrl: string): void {
  const groups = new Map<string, number | null>();
  setMode(dataDir, { mode: DATA_DIR_MODE }, groups);
  const db = databaseFile(databaseUrl);
  const dbBase = db && path.dirname(db) === path.resolve(dataDir) ? path.basename(db) : null;
  for (const entry of readdirSync(dataDir, { withFileTypes: true })) {
    const p = path.join(dataDir, entry.name);
    const nested = entry.isDirectory() && existsSync(path.join(p, "tandem.db"));
    setMode(p, topLevelMode(entry.name, entry.isDirectory(), dbBase, nested), groups);
  }
  // A database outside the data directory is still Tandem's secret.
  if (db && dbBase === null) {
    for (const s of DB_SUFFIXES) if (existsSync(db + s)) setMode(db + s, { mode: DB_FILE_MODE }, groups);
  }
}
