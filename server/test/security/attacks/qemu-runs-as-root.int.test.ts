// Attack (issue #10 item 7): QEMU runs as root, unconfined. A guest that escapes into its QEMU
// process (a device-emulation bug) would own the host: every file, every disk, every other guest.
// The fix runs QEMU as the unprivileged `libvirt-qemu` user under libvirt's DAC driver (libvirt
// chowns exactly the files a domain uses while it runs), so the process holds no capability and
// cannot open what that user may not. Shared base images are pinned in the domain XML with
// relabelling off, so they stay root's and QEMU opens them read-only.
//
// Shown from the host: a Tandem demo VM's QEMU process (its pid from libvirt's pid file) runs
// with the libvirt-qemu uid/gid and an empty effective capability set, and a domain whose disk
// points at a root-only 0600 file that libvirt is told not to relabel cannot start: QEMU itself
// gets "Permission denied".
//
// before the fix: the demo VM's QEMU ran as uid 0 with CapEff 000001fffeffffff, and the domain
// with the root-only disk started (QEMU opened the 0600 root file), seen at 6465caf. With QEMU
// as libvirt-qemu but the backing chain left to libvirt, the shared demo base image was chowned
// to libvirt-qemu (writable by every VM's QEMU) and never given back, seen at 9ce9258.
import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { haveBackend, makeEnv, runningVm, type VmTestEnv } from "../../../drivers/vm/libvirt/test/support";

const run = haveBackend();
let env: VmTestEnv;

/** The uid/gid lines and effective capabilities of a process, from /proc/<pid>/status. */
function credentials(pid: number): { uids: number[]; gids: number[]; capEff: bigint } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, "m").exec(status)?.[1]?.trim() ?? "";
  return {
    uids: field("Uid").split(/\s+/).map(Number),
    gids: field("Gid").split(/\s+/).map(Number),
    capEff: BigInt(`0x${field("CapEff")}`),
  };
}

const idOf = (user: string, flag: "-u" | "-g") => Number(execFileSync("id", [flag, user]).toString().trim());

describe.skipIf(!run)("attack: QEMU as root", () => {
  beforeAll(async () => {
    env = await makeEnv();
  }, 240_000);
  afterAll(async () => {
    await env?.cleanup();
  }, 120_000);

  it("a Tandem VM's QEMU process runs as libvirt-qemu with no capabilities", async () => {
    const { id, pid } = await runningVm(env);
    const cred = credentials(pid);
    const uid = idOf("libvirt-qemu", "-u");
    const gid = idOf("libvirt-qemu", "-g");
    expect(cred.uids, "real, effective, saved and fs uid").toEqual([uid, uid, uid, uid]);
    expect(cred.gids, "real, effective, saved and fs gid").toEqual([gid, gid, gid, gid]);
    expect(cred.capEff, "effective capabilities").toBe(0n);
    // libvirt records the DAC label it ran the domain under.
    expect(await env.driver.domainXml(id)).toMatch(
      new RegExp(`<seclabel type='dynamic' model='dac' relabel='yes'>\\s*<label>\\+${uid}:\\+${gid}</label>`),
    );
  });

  it("a VM's QEMU cannot write the base image other VMs' disks rest on", async () => {
    const { pid } = await runningVm(env);
    const base = env.demo.meta.disk as string;
    const st = statSync(base);
    const uid = idOf("libvirt-qemu", "-u");
    const gid = idOf("libvirt-qemu", "-g");
    const writable =
      st.uid === uid ? (st.mode & 0o200) !== 0 : st.gid === gid ? (st.mode & 0o020) !== 0 : (st.mode & 0o002) !== 0;
    // QEMU holds it open, read-only.
    const fd = readdirSync(`/proc/${pid}/fd`).find((f) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${f}`) === base;
      } catch {
        return false;
      }
    });
    expect(fd, "QEMU has the base image open").toBeDefined();
    const flags = parseInt(/^flags:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))![1]!, 8);
    expect({ owner: st.uid, writableByQemu: writable, openMode: flags & 3 }).toEqual({
      owner: 0,
      writableByQemu: false,
      openMode: 0, // O_RDONLY
    });
  });

  it("QEMU cannot open a root-only file that libvirt does not hand over", async () => {
    const secret = path.join(env.tmp, "root-only.img");
    writeFileSync(secret, Buffer.alloc(1024 * 1024, 0x5a), { mode: 0o600 });
    chmodSync(secret, 0o600);
    // A bare domain whose only disk is that file, with DAC relabelling switched off for it:
    // what QEMU can open is then decided by QEMU's own uid alone.
    const name = `${env.prefix}-rootonly`;
    const xml = `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>32</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='${secret}'><seclabel model='dac' relabel='no'/></source>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>`;
    const dom = await env.conn.defineDomain(xml);
    try {
      const err = await dom.create().then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err, "the domain must not start").not.toBeNull();
      expect(err!.message).toMatch(/Permission denied/);
      expect(await dom.isActive()).toBe(false);
    } finally {
      await dom.destroy().catch(() => undefined);
      await dom.undefine().catch(() => undefined);
      dom.free();
    }
  });
});
