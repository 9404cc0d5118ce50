// What an unprivileged QEMU can open. libvirtd runs QEMU as qemu.conf's user (libvirt-qemu
// here, reported as the DAC model's base label in the host capabilities) and its DAC driver
// chowns each file a domain uses to that user while it runs — but not the directories above
// those files. This module owns the directories: Tandem's own ones (under the data directory)
// on the way to a VM's files are made searchable by QEMU's group only (0710 root:<group>, never
// listable, nothing for other users), and shared image layers that libvirt must not hand to
// QEMU are made group-readable, never writable; what lies outside the data directory and QEMU
// cannot reach is reported with what to change, because it is not Tandem's to change.
import { chmod, chown, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../../../domain/errors";

export interface QemuIdentity {
  uid: number;
  gid: number;
}

/**
 * The uid:gid libvirt runs QEMU as, from the capabilities XML
 * (`<secmodel><model>dac</model>…<baselabel type='qemu'>+64055:+64055</baselabel>`).
 * Null when QEMU runs as root (nothing to do) or the daemon reports no DAC model.
 */
export function qemuIdentity(capabilitiesXml: string): QemuIdentity | null {
  const m = /<baselabel type='qemu'>\s*\+?(\d+):\+?(\d+)\s*<\/baselabel>/.exec(capabilitiesXml);
  if (!m) return null;
  const uid = Number(m[1]);
  const gid = Number(m[2]);
  return uid === 0 ? null : { uid, gid };
}

/** May `who` search (traverse) a directory with this owner and mode? Supplementary groups aside. */
export function canSearch(st: { uid: number; gid: number; mode: number }, who: QemuIdentity): boolean {
  if (st.uid === who.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === who.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

const within = (p: string, root: string) => p === root || p.startsWith(root + path.sep);

/**
 * Makes every directory from `owned` down to `file`'s parent searchable by QEMU, and checks the
 * directories above `owned`. A directory Tandem owns that QEMU cannot search gets QEMU's group
 * and g+x, with its group read/write bits dropped (the data-directory contract: 0710).
 */
export async function makeReachable(file: string, who: QemuIdentity | null, owned: string): Promise<void> {
  if (!who) return;
  const root = await realpath(owned).catch(() => path.resolve(owned));
  let dir = path.dirname(await realpath(file).catch(() => path.resolve(file)));
  const chain: string[] = [];
  for (;;) {
    chain.push(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Top-down: a directory is only worth fixing once its parents can be searched.
  for (const d of chain.reverse()) {
    const st = await stat(d).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return null; // libvirt reports the missing file itself
      throw e;
    });
    if (!st) return;
    if (canSearch(st, who)) continue;
    if (!within(d, root)) {
      throw new AppError(
        "BACKEND_UNAVAILABLE",
        `QEMU runs as uid ${who.uid} (group ${who.gid}) and cannot reach ${file}: it may not search ${d}. ` +
          `Allow it (chmod o+x, or group ${who.gid} with g+x) or keep VM files under the data directory.`,
      );
    }
    await chown(d, st.uid, who.gid);
    await chmod(d, (st.mode & 0o7707) | 0o010);
  }
}

/**
 * Makes a shared image layer (a base image, a linked clone's source disk) readable and not
 * writable by QEMU's user. Such layers are pinned with `relabel='no'` (xml-build), so libvirt
 * does not hand them to QEMU: under the data directory they get QEMU's group with g+r and no
 * g+w, and one QEMU's user owns (libvirt chowned backing files before chains were pinned) goes
 * back to Tandem. Outside the data directory an unreadable layer is reported.
 */
export async function makeReadable(file: string, who: QemuIdentity | null, owned: string): Promise<void> {
  if (!who) return;
  const real = await realpath(file).catch(() => null);
  if (!real) return; // libvirt reports the missing file itself
  const st = await stat(real);
  const inside = within(real, await realpath(owned).catch(() => path.resolve(owned)));
  const me = process.getuid?.() ?? 0;
  const mode = st.mode & 0o7777;
  if (inside) {
    const want = (mode & ~0o020) | 0o040;
    if (st.uid !== who.uid && st.gid === who.gid && mode === want) return;
    await chown(real, st.uid === who.uid ? me : st.uid, who.gid);
    await chmod(real, want);
    return;
  }
  const readable =
    st.uid === who.uid ? (mode & 0o400) !== 0 : st.gid === who.gid ? (mode & 0o040) !== 0 : (mode & 0o004) !== 0;
  if (!readable) {
    throw new AppError(
      "BACKEND_UNAVAILABLE",
      `QEMU runs as uid ${who.uid} (group ${who.gid}) and cannot read the base image ${file}. ` +
        `Make it readable (chmod o+r, or group ${who.gid} with g+r) or keep images under the data directory.`,
    );
  }
}

/**
 * A directory Tandem makes for VM files (vms/ and vms/<uuid>/): 0710 <Tandem>:<QEMU group>, so
 * QEMU can open the files libvirt hands it and list nothing. Left as made when QEMU is root.
 */
export async function shareDir(dir: string, who: QemuIdentity | null): Promise<void> {
  if (!who) return;
  await chown(dir, process.getuid?.() ?? 0, who.gid);
  await chmod(dir, 0o710);
}
