// Attack: container root is host root. Without a user namespace, uid 0 in a container is uid 0
// on the host, held back only by capabilities, seccomp and the mount namespace; whatever it
// leaves on the host's file systems is root's, and any escape (a kernel bug, a mistaken mount)
// lands as host root. Tried from inside a real container (exec), checked from the host:
//   1. the container's init runs as host uid 0;
//   2. its root plants a setuid-root copy of a shell in its writable layer (a host path under
//      the data directory): a root shell for any host user who reaches the file;
//   3. its root creates a block device node for the host's disk (CAP_MKNOD): the device cgroup
//      stops the container from opening it, but not a host process that reaches the node.
//
// Before the fix (seen at 2febe26): init's /proc/<pid>/status said "Uid: 0 0 0 0"; the planted
// file was owned by 0:0 with mode 4755 on the host; `mknod /hostdisk b <major> <minor>` succeeded
// and the node sat in the upper dir as root's.
// After the fix: init runs as the container's mapped root (a uid ≥ 2^20 of its own block), the
// planted file is owned by that uid (setuid to nobody who matters on the host), mknod is EPERM
// (twice over: a user namespace cannot make device nodes, and since 145e451 containers no longer
// get CAP_MKNOD either).
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HAVE_BACKEND } from "../../../drivers/container/test/support";
import { runIn, useAttackContainer } from "./container-probe";

function hostIds(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8").split("\n");
  const field = (k: string) => Number(status.find((l) => l.startsWith(k))!.split(/\s+/)[1]);
  return { uid: field("Uid:"), gid: field("Gid:") };
}

/** major:minor of the block device holding the data directory (the host's disk). */
function hostDisk(dir: string): { major: number; minor: number } {
  const dev = statSync(dir).dev;
  return { major: Math.floor(dev / 256) & 0xfff, minor: (dev & 0xff) | ((dev >> 12) & 0xfff00) };
}

describe.skipIf(!HAVE_BACKEND)("attack: container root is host root", () => {
  const c = useAttackContainer();

  it("runs the container's uid 0 as an unprivileged host uid", async () => {
    const inside = await runIn(c.env(), c.guest().id, "id -u; id -g");
    expect(inside.out).toMatch(/^0\n0\n/);
    const pid = (await c.env().driver.details(c.guest().id)).pid!;
    const ids = hostIds(pid);
    expect(ids.uid).not.toBe(0);
    expect(ids.gid).not.toBe(0);
    expect(ids.uid).toBeGreaterThanOrEqual(2 ** 20);
  });

  it("leaves what container root writes owned by that uid, not by host root", async () => {
    const r = await runIn(
      c.env(),
      c.guest().id,
      "cp /bin/busybox /rootshell && chmod 4755 /rootshell && stat -c '%u %a' /rootshell",
    );
    expect(r.out).toContain("0 4755"); // root's setuid program, as far as the container knows
    const onHost = statSync(path.join(c.env().driver.debugPaths(c.guest().id).dir, "rootfs", "rootshell"));
    expect(onHost.mode & 0o7777).toBe(0o4755);
    expect(onHost.uid).not.toBe(0);
    expect(onHost.uid).toBe(hostIds((await c.env().driver.details(c.guest().id)).pid!).uid);
  });

  it("cannot create a device node for the host's disk", async () => {
    const { major, minor } = hostDisk(c.env().dataDir);
    const r = await runIn(c.env(), c.guest().id, `mknod /hostdisk b ${major} ${minor}; echo mknod=$?; ls -l /hostdisk`);
    expect(r.out).toMatch(/mknod=1/);
    expect(r.out).toMatch(/Operation not permitted/);
  });
});
