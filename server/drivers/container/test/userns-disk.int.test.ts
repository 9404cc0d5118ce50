// User namespaces and the size-limited writable layer against real conmon + crun: each container
// gets its own block of host ids (recorded, kept across restarts, freed on removal), the image's
// owners and setuid bits look right inside, the container sees its own /sys, the host's
// /dev/null is never chowned (crun 1.8's stdio chown), and a container filling its disk gets
// ENOSPC inside while the host's file system only carries the preallocated image.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, readFileSync, statSync, statfsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverGuest, GuestSpec } from "../../../domain/driver";
import { ID_RANGE_BASE, ID_RANGE_SIZE } from "../oci/idmap-ranges";
import { execScript, HAVE_BACKEND, makeEnv, processesMentioning, type TestEnv } from "./support";

const GiB = 1024 ** 3;

/** A shell command's output in the container (exec). */
const sh = async (env: TestEnv, id: string, script: string, timeoutMs?: number) =>
  (await execScript(env.driver, id, script, timeoutMs)).out;

function hostUidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("Uid:"))!;
  return Number(line.split(/\s+/)[1]);
}

const devNull = () => {
  const s = statSync("/dev/null");
  return { uid: s.uid, gid: s.gid, mode: s.mode, rdev: s.rdev };
};

describe.skipIf(!HAVE_BACKEND)("user namespaces and the container disk", () => {
  let env: TestEnv;
  let image: string;
  const nullBefore = devNull();

  beforeAll(() => {
    env = makeEnv();
    // The busybox image plus a setuid-root program and a file of another user.
    image = path.join(env.tmp, "image");
    execFileSync("cp", ["-a", env.rootfs, image]);
    execFileSync("cp", ["-a", path.join(image, "bin/busybox"), path.join(image, "bin/suidprog")]);
    chmodSync(path.join(image, "bin/suidprog"), 0o4755);
    writeFileSync(path.join(image, "owned"), "x");
    chownSync(path.join(image, "owned"), 1000, 1001);
  });

  afterAll(async () => {
    // crun 1.8 would have chowned the host's /dev/null to a container's root: give it back
    // before failing, so one broken run does not break the machine.
    const now = devNull();
    if (now.uid !== nullBefore.uid || now.gid !== nullBefore.gid)
      chownSync("/dev/null", nullBefore.uid, nullBefore.gid);
    expect(await env.cleanup()).toEqual([]);
  });

  const spec = (o: Partial<GuestSpec> = {}) =>
    env.spec({
      command: ["sleep", "1000"],
      resolvedImage: { id: "busybox-suid", kind: "container", format: "oci", path: image, meta: {} },
      ...o,
    });

  let a: DriverGuest;
  let b: DriverGuest;

  it("runs container root as its own unprivileged host uid, one id block per container", async () => {
    a = await env.driver.create(spec(), () => {});
    b = await env.driver.create(spec(), () => {});
    const ra = (await env.driver.details(a.id)).record.idRange!;
    const rb = (await env.driver.details(b.id)).record.idRange!;
    expect(ra.size).toBe(ID_RANGE_SIZE);
    expect(ra.start).toBeGreaterThanOrEqual(ID_RANGE_BASE);
    expect(rb.start).toBeGreaterThanOrEqual(ID_RANGE_BASE);
    expect(Math.abs(ra.start - rb.start)).toBeGreaterThanOrEqual(ID_RANGE_SIZE);
    const pid = (await env.driver.details(a.id)).pid!;
    expect(hostUidOf(pid)).toBe(ra.start);
    expect(readFileSync(`/proc/${pid}/uid_map`, "utf8").trim().split(/\s+/).map(Number)).toEqual([0, ra.start, 65536]);
    const out = await sh(env, a.id, "id -u; id -g");
    expect(out).toMatch(/^0\n0\n/m);
    // The container's directory is reachable by its own root only (group), listable by nobody.
    const dir = statSync(env.driver.debugPaths(a.id).dir);
    expect([dir.uid, dir.gid, dir.mode & 0o777]).toEqual([0, ra.start, 0o710]);
  });

  it("shows the image's owners and setuid bits as they are, and writes as the mapped root", async () => {
    const out = await sh(env, a.id, "stat -c '%n %u %g %a' /bin/suidprog /owned /; touch /made-inside; echo ok");
    expect(out).toContain("/bin/suidprog 0 0 4755");
    expect(out).toContain("/owned 1000 1001 644");
    expect(out).toMatch(/^\/ 0 0 7\d\d$/m);
    const r = (await env.driver.details(a.id)).record.idRange!;
    const made = statSync(path.join(env.driver.debugPaths(a.id).dir, "rootfs", "made-inside"));
    expect([made.uid, made.gid]).toEqual([r.start, r.start]);
  });

  it("gives the container its own /sys (its interfaces, not the host's)", async () => {
    const out = await sh(env, a.id, "ls /sys/class/net | tr '\\n' ' '; echo");
    expect(out).toMatch(/^eth0 lo $/m);
  });

  it("leaves the host's /dev/null alone through create, start, exec and restart", async () => {
    await sh(env, a.id, "true");
    await env.driver.act(a.id, "stop");
    await env.driver.act(a.id, "start");
    expect(devNull()).toEqual(nullBefore);
    expect(nullBefore.uid).toBe(0);
  });

  it("keeps the id block and the address across a restart and re-adoption", async () => {
    const before = (await env.driver.details(a.id)).record;
    await env.driver.act(a.id, "stop");
    await env.driver.act(a.id, "start");
    await env.driver.close();
    const fresh = env.newDriver();
    env.driver = fresh;
    const d = await fresh.details(a.id);
    expect(d.guest.state).toBe("running");
    expect(d.record.idRange).toEqual(before.idRange);
    expect(d.record.network.ip).toBe(before.network.ip);
    expect(hostUidOf(d.pid!)).toBe(before.idRange!.start);
    // The file written before the restarts is still there (the disk was unmounted and mounted).
    expect(await sh(env, a.id, "ls /made-inside")).toContain("/made-inside");
    expect(await sh(env, a.id, "ls /sys/class/net | tr '\\n' ' '")).toMatch(/eth0 lo/);
  });

  it("frees a removed container's block for the next one", async () => {
    const rb = (await env.driver.details(b.id)).record.idRange!;
    await env.driver.remove(b.id, { purgeDisks: true });
    const c = await env.driver.create(spec({ start: false }), () => {});
    expect((await env.driver.details(c.id)).record.idRange).toEqual(rb);
    await env.driver.remove(c.id, { purgeDisks: true });
  });

  it("fills its 1 GiB disk to ENOSPC, keeps running, and the host only carries the image", async () => {
    const g = await env.driver.create(spec({ diskGiB: 1 }), () => {});
    expect(g.diskGiB).toBe(1);
    const where = env.driver.debugPaths(g.id);
    const imageFile = path.join(where.dir, "disk.ext4");
    const img = statSync(imageFile);
    expect(img.size).toBe(GiB);
    expect(img.blocks * 512).toBeGreaterThanOrEqual(GiB); // preallocated
    const free = () => Number(statfsSync(env.dataDir).bavail) * Number(statfsSync(env.dataDir).bsize);
    const freeBefore = free();
    // count bounds the write even if the limit were gone: 2 GiB against a 1 GiB disk.
    const out = await sh(env, g.id, "dd if=/dev/zero of=/big bs=1M count=2048; ls -l /big", 120_000);
    expect(out).toContain("No space left on device");
    const written = Number(/-rw\S*\s+\d+\s+\S+\s+\S+\s+(\d+)/.exec(out)![1]);
    expect(written).toBeGreaterThan(0.8 * GiB);
    const freeAfter = free();
    // Other work on this machine writes too; the point is that ~1 GiB inside did not come
    // out of the host's free space (the image was allocated at create).
    expect(freeBefore - freeAfter).toBeLessThan(256 * 1024 * 1024);
    expect(statSync(imageFile).blocks * 512).toBeLessThanOrEqual(GiB + 1024 * 1024);
    expect((await env.driver.get(g.id)).state).toBe("running");
    expect(await sh(env, g.id, "rm /big; echo still-$((6*7))")).toContain("still-42");
    await env.driver.remove(g.id, { purgeDisks: true });
    expect(existsSync(imageFile)).toBe(false);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(where.dir);
    expect(processesMentioning(where.runtimeId)).toEqual([]);
  });

  it("refuses a disk the data directory cannot hold beside its reserve, leaving nothing", async () => {
    const before = (await env.driver.list()).length;
    await expect(env.driver.create(spec({ diskGiB: 65536 }), () => {})).rejects.toMatchObject({
      code: "INSUFFICIENT_RESOURCES",
      message: expect.stringMatching(/the container's disk needs 65536\.0 GiB/),
    });
    expect((await env.driver.list()).length).toBe(before);
    await env.driver.remove(a.id, { purgeDisks: true });
  });
});
