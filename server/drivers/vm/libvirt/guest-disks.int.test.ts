// VM disks against the real libvirtd and the demo guest (TCG here): a pool volume hot-added to a
// running VM appears in the guest's /sys/block (read over the serial console), grows under it,
// goes again on detach; a stopped VM gets one in its config only and is switched to a copy in
// a second pool (a move), which it boots with. Two dir pools of this run's own in its temp
// directory; everything is named tvt-<tag>-* and swept in afterAll even after a failure.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, XMLFlag } from "../../../../native/libvirt/index";
import { AppError } from "../../../domain/errors";
import type { VolumeRef } from "../../../domain/guest-disks";
import { demoShell, haveBackend, makeEnv, runningVm, waitFor, type VmTestEnv } from "./test/support";

const run = haveBackend();
let env: VmTestEnv;
const pools: string[] = [];
const MiB = 1024 * 1024;

const codeOf = (e: unknown) => (e instanceof AppError ? e.code : e instanceof Error ? e.message : String(e));
const volXml = (name: string, bytes: number) =>
  `<volume><name>${name}</name><capacity unit='bytes'>${bytes}</capacity>` +
  `<target><format type='qcow2'/></target></volume>`;

async function makePool(suffix: string): Promise<string> {
  const name = `${env.prefix}-${suffix}`;
  const dir = path.join(env.tmp, suffix);
  await env.conn.storagePoolDefineXML(
    `<pool type='dir'><name>${name}</name><target><path>${dir}</path></target></pool>`,
  );
  pools.push(name);
  await env.conn.storagePoolBuild(name);
  await env.conn.storagePoolCreate(name);
  return name;
}

async function volume(pool: string, name: string, bytes: number): Promise<VolumeRef> {
  const v = await env.conn.storageVolCreateXML(pool, volXml(name, bytes));
  return { path: v.path, format: "qcow2" };
}

describe.skipIf(!run)("VM disks on the real libvirtd", () => {
  beforeAll(async () => {
    env = await makeEnv();
  }, 240_000);

  afterAll(async () => {
    // Domains first (env.cleanup), then this run's pools with whatever volumes are left.
    if (!env) return;
    await env.cleanup();
    const c = await connect(env.opts.uri);
    for (const p of pools) {
      for (const v of await c.listStorageVolumes(p).catch(() => []))
        await c.storageVolDelete(p, v.name).catch(() => {});
      await c.storagePoolDestroy(p).catch(() => {});
      await c.storagePoolUndefine(p).catch(() => {});
    }
    await c.close();
  }, 120_000);

  it("hot-adds a volume to a running demo VM, grows it under the guest, and detaches it", async () => {
    const pool = await makePool("pa");
    const { id } = await runningVm(env);
    const sh = await demoShell(env.driver, id);
    await sh.waitFor("tandem-vm:~# ", 120_000, "the demo shell");
    expect((await sh.run("ls /sys/block", "tandem-vm:~# ")).includes("vdb")).toBe(false);

    const vol = await volume(pool, "hot.qcow2", 64 * MiB);
    expect(await env.driver.attachDisk(id, vol)).toEqual({ target: "vdb" });
    // Live and in the config, with the alias detach goes by.
    expect(await env.driver.domainXml(id)).toContain("<alias name='ua-disk-vdb'/>");
    const config = await env.conn.lookupDomainByUUID(id.split(".")[2]!);
    expect(await config.getXMLDesc(XMLFlag.INACTIVE)).toContain(`<source file='${vol.path}'`);
    config.free();
    // The guest sees it: 64 MiB = 131072 sectors of 512 bytes.
    await waitFor(
      async () => (await sh.run("cat /sys/block/vdb/size 2>&1", "tandem-vm:~# ")).includes("131072"),
      60_000,
      "vdb in the guest's /sys/block with 131072 sectors",
    );
    const disks = await env.driver.listDisks(id);
    expect(disks.map((d) => d.target)).toEqual(["vda", "vdb"]);
    expect(disks[1]).toMatchObject({ path: vol.path, format: "qcow2", capacityBytes: 64 * MiB, readOnly: false });

    // The same volume twice is refused; shrinking is refused naming sizeGiB.
    expect(codeOf(await env.driver.attachDisk(id, vol).catch((e: unknown) => e))).toBe("CONFLICT");
    const shrink = await env.driver.growDiskLive(id, "vdb", 32 * MiB).catch((e: unknown) => e);
    expect(codeOf(shrink)).toBe("VALIDATION");
    expect((shrink as Error).message).toMatch(/^sizeGiB: /);

    await env.driver.growDiskLive(id, "vdb", 96 * MiB);
    await waitFor(
      async () => (await sh.run("cat /sys/block/vdb/size", "tandem-vm:~# ")).includes("196608"),
      30_000,
      "vdb grown to 196608 sectors inside the guest",
    );
    expect((await env.driver.listDisks(id))[1]?.capacityBytes).toBe(96 * MiB);

    // A stopped-only change is refused while it runs; vda is the VM's own.
    expect(codeOf(await env.driver.switchDisk(id, "vdb", vol).catch((e: unknown) => e))).toBe("INVALID_STATE");
    expect(codeOf(await env.driver.detachDisk(id, "vda").catch((e: unknown) => e))).toBe("VALIDATION");
    expect(codeOf(await env.driver.detachDisk(id, "vdq").catch((e: unknown) => e))).toBe("NOT_FOUND");

    await env.driver.detachDisk(id, "vdb");
    expect(await env.driver.domainXml(id)).not.toContain(vol.path);
    await waitFor(
      async () => !(await sh.run("ls /sys/block", "tandem-vm:~# ")).includes("vdb"),
      30_000,
      "vdb gone from the guest",
    );
    expect((await env.driver.listDisks(id)).map((d) => d.target)).toEqual(["vda"]);
    sh.con.close();
    await env.driver.act(id, "stop");
    await env.driver.remove(id, { purgeDisks: true });
  }, 420_000);

  it("adds a disk to a stopped VM in its config, moves it to another pool, and boots with it", async () => {
    const a = pools[0] ?? (await makePool("pa"));
    const b = await makePool("pb");
    const spec = env.spec({ network: "none", start: false });
    const { id } = await env.driver.create(spec, () => undefined);
    const vol = await volume(a, "cold.qcow2", 32 * MiB);
    expect(await env.driver.attachDisk(id, vol)).toEqual({ target: "vdb" });
    expect((await env.driver.listDisks(id)).map((d) => [d.target, d.capacityBytes])).toEqual([
      ["vda", expect.any(Number)],
      ["vdb", 32 * MiB],
    ]);
    expect(codeOf(await env.driver.growDiskLive(id, "vdb", 64 * MiB).catch((e: unknown) => e))).toBe("INVALID_STATE");

    // The move as the service runs it: the copy in pool b, the switch, the original deleted.
    const copy = await env.conn.storageVolCreateXMLFrom(b, volXml("cold.qcow2", 32 * MiB), a, "cold.qcow2");
    const moved: VolumeRef = { path: copy.path, format: "qcow2" };
    await env.driver.switchDisk(id, "vdb", moved);
    await env.conn.storageVolDelete(a, "cold.qcow2");
    const disks = await env.driver.listDisks(id);
    expect(disks.map((d) => [d.target, d.path])).toEqual([
      ["vda", expect.stringContaining(env.dataDir)],
      ["vdb", copy.path],
    ]);

    await env.driver.act(id, "start");
    const sh = await demoShell(env.driver, id);
    await sh.waitFor("tandem-vm:~# ", 120_000, "the demo shell");
    await waitFor(
      async () => (await sh.run("cat /sys/block/vdb/size 2>&1", "tandem-vm:~# ")).includes("65536"),
      30_000,
      "the moved disk as vdb (65536 sectors) at boot",
    );
    expect(await env.driver.domainXml(id)).toContain(`<source file='${copy.path}'`);
    sh.con.close();
    await env.driver.act(id, "stop");
    await env.driver.remove(id, { purgeDisks: true });
  }, 420_000);
});
