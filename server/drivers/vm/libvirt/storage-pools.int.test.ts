// The VM driver's storage pools against the real libvirtd: Tandem's default directory pool made
// on first use (persistent, autostarted, under the data directory, reachable by QEMU), an
// existing pool adopted through the same listing, volumes created raw/qcow2, grown (never
// shrunk), copied to another pool and deleted through libvirt's storage API; and a tiny pool (a
// directory on a 16 MiB tmpfs the test mounts) refusing a volume bigger than what it has with
// INSUFFICIENT_RESOURCES naming the pool. Pools are named tandem-sp-<RUN>-…; afterAll stops and
// undefines them, unmounts the tmpfs and removes the directories even when a step failed.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Connection } from "../../../../native/libvirt/index";
import { AppError } from "../../../domain/errors";
import { VmContext } from "./context";
import { LibvirtStoragePools } from "./storage-pools";
import { haveBackend, URI } from "./test/support";

const run = haveBackend();
const RUN = randomBytes(3).toString("hex");
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe.skipIf(!run)("libvirt storage pools for Tandem", () => {
  let tmp: string;
  let tiny: string;
  let conn: Connection;
  let ctx: VmContext;
  let pools: LibvirtStoragePools;
  const defaultName = `tandem-sp-${RUN}-default`;
  const tinyName = `tandem-sp-${RUN}-tiny`;
  let mounted = false;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), `tandem-sp-${RUN}-`));
    chmodSync(tmp, 0o711); // QEMU must be able to reach the data directory below it
    tiny = path.join(tmp, "tiny");
    mkdirSync(tiny);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=16m,mode=0711", `tandem-sp-${RUN}`, tiny]);
    mounted = true;
    conn = await connect(URI);
    ctx = new VmContext({ uri: URI, hostId: "local", dataDir: path.join(tmp, "data"), accel: "qemu" });
    pools = new LibvirtStoragePools(ctx, defaultName);
  });

  afterAll(async () => {
    for (const name of [defaultName, tinyName]) {
      for (const v of (await conn?.listStorageVolumes(name).catch(() => [])) ?? []) {
        await conn.storageVolDelete(name, v.name).catch(() => undefined);
      }
      await conn?.storagePoolDestroy(name).catch(() => undefined);
      await conn?.storagePoolUndefine(name).catch(() => undefined);
    }
    await ctx?.close();
    await conn?.close();
    if (mounted) execFileSync("umount", [tiny]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("makes the default pool on first use and lists it with the pools the host has", async () => {
    // An existing pool Tandem did not make: adopted through the same listing.
    await conn.storagePoolCreateXML(
      `<pool type='dir'><name>${tinyName}</name><target><path>${tiny}</path></target></pool>`,
    );
    const list = await pools.listPools();
    const def = list.find((p) => p.name === defaultName);
    expect(def).toMatchObject({ type: "dir", state: "running", isDefault: true, volumeCount: 0 });
    expect(def!.path).toBe(path.join(tmp, "data", "pools", defaultName));
    expect(def!.capacityBytes).toBeGreaterThan(0);
    const info = await conn.storagePoolGetInfo(defaultName);
    expect(info).toMatchObject({ persistent: true, autostart: true, active: true });
    // QEMU (libvirt-qemu here) must be able to search down to the pool's files, nobody else list them.
    expect(statSync(def!.path!).mode & 0o777).toBe(0o710);
    const small = list.find((p) => p.name === tinyName);
    expect(small).toMatchObject({ type: "dir", state: "running", isDefault: false, path: tiny });
    expect(small!.capacityBytes).toBe(16 * MiB);
    // Idempotent: a second call adopts what is there.
    await pools.ensureDefaultPool();
    expect((await conn.listStoragePools()).filter((p) => p.name === defaultName)).toHaveLength(1);
  });

  it("creates, grows, copies and deletes volumes through libvirt", async () => {
    const raw = await pools.createVolume({
      pool: defaultName,
      name: "v1.raw",
      capacityBytes: 32 * MiB,
      format: "raw",
      allocation: "full",
    });
    expect(raw).toMatchObject({ pool: defaultName, name: "v1.raw", capacityBytes: 32 * MiB });
    expect(raw.allocationBytes).toBeGreaterThanOrEqual(32 * MiB);
    const q = await pools.createVolume({
      pool: defaultName,
      name: "v2.qcow2",
      capacityBytes: 1 * GiB,
      format: "qcow2",
      allocation: "sparse",
    });
    expect(readFileSync(q.path).subarray(0, 4)).toEqual(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
    expect(await pools.formatAt(q.path)).toBe("qcow2");
    expect(await pools.volumeAt(q.path)).toMatchObject({ name: "v2.qcow2", capacityBytes: 1 * GiB });
    expect((await pools.listPools()).find((p) => p.name === defaultName)!.volumeCount).toBe(2);

    // Same name twice: a conflict naming the field.
    await expect(
      pools.createVolume({ pool: defaultName, name: "v1.raw", capacityBytes: MiB, format: "raw", allocation: "full" }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^name: /) });

    expect((await pools.resizeVolume(raw.path, 48 * MiB)).capacityBytes).toBe(48 * MiB);
    expect(statSync(raw.path).size).toBe(48 * MiB);
    await expect(pools.resizeVolume(raw.path, 16 * MiB)).rejects.toMatchObject({ code: "VALIDATION" });

    // A copy to another pool (how a VM disk moves), then the source goes; the copy stays.
    const small = await pools.createVolume({
      pool: defaultName,
      name: "v3.raw",
      capacityBytes: 4 * MiB,
      format: "raw",
      allocation: "full",
    });
    const copy = await pools.copyVolume(small.path, tinyName, "v3-copy.raw");
    expect(copy).toMatchObject({ pool: tinyName, path: path.join(tiny, "v3-copy.raw"), capacityBytes: 4 * MiB });
    await pools.deleteVolume(small.path);
    expect(await pools.volumeAt(small.path)).toBeNull();
    expect(await pools.volumeAt(copy.path)).not.toBeNull();
    // Deleting what is gone already is no error.
    await pools.deleteVolume(small.path);
    await pools.deleteVolume(copy.path);
    await pools.deleteVolume(q.path);
    await pools.deleteVolume(raw.path);
    expect((await pools.listPools()).find((p) => p.name === defaultName)!.volumeCount).toBe(0);
  });

  it("answers a clear error when a pool cannot hold the volume", async () => {
    const refused = pools.createVolume({
      pool: tinyName,
      name: "big.raw",
      capacityBytes: 64 * MiB,
      format: "raw",
      allocation: "full",
    });
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({
      code: "INSUFFICIENT_RESOURCES",
      message: expect.stringContaining(`pool: '${tinyName}' has`),
    });
    // Nothing was left in the pool, and a copy that would not fit is refused the same way.
    expect(await conn.listStorageVolumes(tinyName)).toEqual([]);
    const src = await pools.createVolume({
      pool: defaultName,
      name: "v4.raw",
      capacityBytes: 32 * MiB,
      format: "raw",
      allocation: "sparse",
    });
    await expect(pools.copyVolume(src.path, tinyName, "v4.raw")).rejects.toMatchObject({
      code: "INSUFFICIENT_RESOURCES",
    });
    await expect(
      pools.createVolume({
        pool: "no-such-pool",
        name: "x.raw",
        capacityBytes: MiB,
        format: "raw",
        allocation: "full",
      }),
    ).rejects.toMatchObject({ code: "VALIDATION", message: "pool: no storage pool 'no-such-pool'" });
    await pools.deleteVolume(src.path);
  });
});
