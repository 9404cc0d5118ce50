// VM disks through the whole server against the real libvirtd and the demo guest (TCG here):
// a disk given in the create body is there at first boot, a disk hot-added in another pool
// shows up in the guest's /sys/block, grows under it and goes again on detach with purge, a
// stopped VM's disk moves between two pools and the VM boots with it; bad bodies answer 4xx
// naming the field; a linked clone resting on a disk holds it; a delete without purge keeps the
// volume, one with purge deletes them. The server's default pool and a
// second pool are this run's own (tvd-<suffix>), removed in afterAll with everything in them.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import type { GuestDisk, Volume } from "../contract/storage";
import { demoShell, haveBackend, type DemoShell } from "../drivers/vm/libvirt/test/support";
import { until } from "./harness";
import { networkServer, removePools } from "./network-server";

const run = haveBackend();
const suffix = Math.random().toString(36).slice(2, 7);
const POOL = `tvd-${suffix}`;
const POOL_B = `tvd-${suffix}-b`;
const GiB = 1024 ** 3;
let poolBDir = "";

describe.skipIf(!run)("VM disks through Tandem on the real libvirtd", () => {
  const fx = networkServer({
    tag: `vd${suffix}`,
    vmPrefix: "10.231.19",
    manageNetworks: false,
    storagePool: POOL,
    prepare: async ({ conn }) => {
      // The second pool, in a directory QEMU can search its way to.
      const tmp = mkdtempSync(path.join(os.tmpdir(), `tvd-${suffix}-`));
      chmodSync(tmp, 0o711);
      poolBDir = path.join(tmp, "pool");
      await conn.storagePoolDefineXML(
        `<pool type='dir'><name>${POOL_B}</name><target><path>${poolBDir}</path></target></pool>`,
      );
      await conn.storagePoolBuild(POOL_B);
      await conn.storagePoolCreate(POOL_B);
    },
    cleanup: async (conn) => {
      for (const d of (await conn?.listAllDomains().catch(() => [])) ?? []) {
        if (d.name.startsWith(`disk-${suffix}`)) {
          await d.destroy().catch(() => undefined);
          await d.undefine(2 | 4).catch(() => undefined);
        }
        d.free();
      }
      await removePools(conn, [POOL, POOL_B]);
      if (poolBDir) rmSync(path.dirname(poolBDir), { recursive: true, force: true });
    },
  });

  const guest = async (id: string) => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
  const disks = async (id: string) =>
    (await fx.admin.json<{ disks: GuestDisk[] }>("GET", `/api/v1/guests/${id}/disks`)).body.disks;
  /** Sends a request that answers 202 with a task, and waits for the task to succeed. */
  async function task(method: string, url: string, body?: unknown): Promise<void> {
    const res = await fx.admin.json<{ taskId: string }>(method, url, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const t = await until(async () => {
      const r = await fx.admin.json<{ task: { state: string; error: string | null } }>(
        "GET",
        `/api/v1/tasks/${res.body.taskId}`,
      );
      return r.body.task.state === "succeeded" || r.body.task.state === "failed" ? r.body.task : null;
    }, 120_000);
    expect(t.error).toBeNull();
    expect(t.state).toBe("succeeded");
  }
  const refusal = async (method: string, url: string, body?: unknown) => {
    const r = await fx.admin.json<{ error: { code: string; message: string } }>(method, url, body);
    return { status: r.status, code: r.body.error?.code, message: r.body.error?.message ?? "" };
  };
  const sectors = async (sh: DemoShell, dev: string) => {
    const out = await sh.run(`cat /sys/block/${dev}/size 2>&1 || echo none`, "tandem-vm:~# ");
    return /(\d+)\r?\n/.exec(out)?.[1] ?? "none";
  };

  let vmId = "";
  let rootVolume = "";
  let sh: DemoShell;

  it("a disk given at create is there at first boot; a hot-added one in another pool grows and goes", async () => {
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: `disk-${suffix}-a`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 192,
      network: "none",
      disks: [{ sizeGiB: 1 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    vmId = res.body.guest.id;
    fx.guests.push(vmId);
    await until(async () => (await guest(vmId)).state === "running", 90_000, 250);
    let list = await disks(vmId);
    expect(list.map((d) => [d.target, d.pool, d.capacityBytes])).toEqual([
      ["vda", null, expect.any(Number)],
      ["vdb", POOL, GiB],
    ]);
    expect(list[0]!.volumeId).toBeNull();
    rootVolume = list[1]!.volumeId!;
    const vols = (await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes;
    expect(vols.find((v) => v.id === rootVolume)).toMatchObject({
      name: `disk-${suffix}-a-disk1`,
      use: "disk",
      format: "qcow2",
      attachedTo: [{ guestId: vmId, target: "vdb", readOnly: false }],
    });

    sh = await demoShell(fx.vms, vmId);
    await sh.waitFor("tandem-vm:~# ", 120_000, "the demo shell");
    expect(await sectors(sh, "vdb")).toBe(String(GiB / 512));

    await task("POST", `/api/v1/guests/${vmId}/disks`, { sizeGiB: 1, pool: POOL_B });
    list = await disks(vmId);
    expect(list.map((d) => [d.target, d.pool])).toEqual([
      ["vda", null],
      ["vdb", POOL],
      ["vdc", POOL_B],
    ]);
    const hot = list[2]!.volumeId!;
    expect(list[2]!.path.startsWith(poolBDir + "/")).toBe(true);
    await until(async () => (await sectors(sh, "vdc")) === String(GiB / 512), 60_000, 500);

    // Grow under the running guest; shrinking and moving while it runs are refused.
    await task("POST", `/api/v1/guests/${vmId}/disks/${hot}/resize`, { sizeGiB: 2 });
    await until(async () => (await sectors(sh, "vdc")) === String((2 * GiB) / 512), 30_000, 500);
    expect((await disks(vmId))[2]!.capacityBytes).toBe(2 * GiB);
    const shrink = await refusal("POST", `/api/v1/guests/${vmId}/disks/${hot}/resize`, { sizeGiB: 1 });
    expect(shrink).toMatchObject({ status: 400, code: "VALIDATION" });
    expect(shrink.message).toMatch(/^sizeGiB: disks only grow/);
    const moving = await refusal("POST", `/api/v1/guests/${vmId}/disks/${hot}/move`, { pool: POOL });
    expect(moving).toMatchObject({ status: 409, code: "INVALID_STATE" });
    expect(moving.message).toMatch(/shut .* down to move its disk/);

    // Detach with purge: gone from the guest, the VM and the volume list.
    await task("DELETE", `/api/v1/guests/${vmId}/disks/${hot}?purge=true`);
    await until(async () => (await sectors(sh, "vdc")) === "none", 30_000, 500);
    expect((await disks(vmId)).map((d) => d.target)).toEqual(["vda", "vdb"]);
    const after = (await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes;
    expect(after.some((v) => v.id === hot)).toBe(false);
  }, 420_000);

  it("answers bad disk bodies with 4xx naming the field", async () => {
    const base = `/api/v1/guests/${vmId}/disks`;
    const noPool = await refusal("POST", base, { sizeGiB: 1, pool: "no-such-pool" });
    expect(noPool).toMatchObject({ status: 400, code: "VALIDATION" });
    expect(noPool.message).toMatch(/^pool: no storage pool 'no-such-pool'/);
    const noVol = await refusal("POST", base, { volume: "no-such-volume" });
    expect(noVol).toMatchObject({ status: 400 });
    expect(noVol.message).toMatch(/^volume: no volume/);
    const twice = await refusal("POST", base, { volume: rootVolume });
    expect(twice).toMatchObject({ status: 409, code: "CONFLICT" });
    expect(twice.message).toMatch(/^volume: /);
    expect((await refusal("POST", base, { sizeGiB: 0 })).status).toBe(400);
    expect((await refusal("POST", base, { sizeGiB: 1, volume: rootVolume })).status).toBe(400);
    expect((await refusal("POST", `${base}/nope/resize`, { sizeGiB: 5 })).status).toBe(404);

    // Another VM may not take a volume this one writes; a container takes no disks at all.
    const other = await refusal("POST", "/api/v1/guests", {
      kind: "vm",
      name: `disk-${suffix}-b`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 128,
      network: "none",
      start: false,
      disks: [{ volume: rootVolume }],
    });
    expect(other).toMatchObject({ status: 409, code: "CONFLICT" });
    expect(other.message).toMatch(new RegExp(`^disks\\[0\\]\\.volume: .*in use by 'disk-${suffix}-a'`));
    const ct = await refusal("POST", "/api/v1/guests", {
      kind: "container",
      name: `disk-${suffix}-c`,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      disks: [{ sizeGiB: 1 }],
    });
    expect(ct).toMatchObject({ status: 400 });
    expect(ct.message).toMatch(/disks/);
    const badPool = await refusal("POST", "/api/v1/guests", {
      kind: "vm",
      name: `disk-${suffix}-d`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 128,
      start: false,
      disks: [{ sizeGiB: 1 }, { sizeGiB: 1, pool: "nowhere" }],
    });
    expect(badPool).toMatchObject({ status: 400 });
    expect(badPool.message).toMatch(/^disks\[1\]\.pool: no storage pool 'nowhere'/);
    expect((await fx.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests")).body.guests.map((g) => g.name)).toEqual(
      expect.not.arrayContaining([`disk-${suffix}-b`, `disk-${suffix}-d`]),
    );
  });

  it("moves a stopped VM's disk to another pool, boots with it, and keeps it when the VM goes", async () => {
    sh.con.close();
    await task("POST", `/api/v1/guests/${vmId}/actions`, { action: "stop" });
    const before = (await disks(vmId))[1]!;

    // A linked clone rests on the volume (an overlay in its own directory, no volume of its own):
    // the volume may then not move, grow or be deleted, naming the clone.
    const cl = await fx.admin.json<{ guest: Guest; taskId: string }>("POST", `/api/v1/guests/${vmId}/clone`, {
      name: `disk-${suffix}-clone`,
      mode: "linked",
    });
    expect(cl.status, JSON.stringify(cl.body)).toBe(202);
    fx.guests.push(cl.body.guest.id);
    await until(async () => (await guest(cl.body.guest.id)).state === "stopped", 60_000, 250);
    const cloneDisks = await disks(cl.body.guest.id);
    expect(cloneDisks.map((d) => [d.target, d.volumeId])).toEqual([
      ["vda", null],
      ["vdb", null],
    ]);
    for (const [url, body] of [
      [`/api/v1/guests/${vmId}/disks/${rootVolume}/move`, { pool: POOL_B }],
      [`/api/v1/guests/${vmId}/disks/${rootVolume}/resize`, { sizeGiB: 3 }],
    ] as const) {
      const held = await refusal("POST", url, body);
      expect(held).toMatchObject({ status: 409, code: "CONFLICT" });
      expect(held.message).toContain(`linked clones 'disk-${suffix}-clone' rest on it`);
    }
    expect((await refusal("DELETE", `/api/v1/guests/${vmId}/disks/${rootVolume}?purge=true`)).status).toBe(409);
    await task("DELETE", `/api/v1/guests/${cl.body.guest.id}?purge=true`);
    fx.guests.splice(fx.guests.indexOf(cl.body.guest.id), 1);

    await task("POST", `/api/v1/guests/${vmId}/disks/${rootVolume}/move`, { pool: POOL_B });
    const moved = (await disks(vmId))[1]!;
    expect(moved).toMatchObject({ target: "vdb", volumeId: rootVolume, pool: POOL_B, capacityBytes: GiB });
    expect(moved.path.startsWith(poolBDir + "/")).toBe(true);
    expect(existsSync(before.path)).toBe(false);
    const same = await refusal("POST", `/api/v1/guests/${vmId}/disks/${rootVolume}/move`, { pool: POOL_B });
    expect(same).toMatchObject({ status: 400 });
    expect(same.message).toMatch(/^pool: /);

    await task("POST", `/api/v1/guests/${vmId}/actions`, { action: "start" });
    sh = await demoShell(fx.vms, vmId);
    await sh.waitFor("tandem-vm:~# ", 120_000, "the demo shell after the move");
    expect(await sectors(sh, "vdb")).toBe(String(GiB / 512));
    sh.con.close();

    // Delete without purge: the VM goes, its volume stays, detached.
    await task("DELETE", `/api/v1/guests/${vmId}`);
    fx.guests.splice(fx.guests.indexOf(vmId), 1);
    const vols = (await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes;
    expect(vols.find((v) => v.id === rootVolume)).toMatchObject({ pool: POOL_B, attachedTo: [] });
    expect(existsSync(moved.path)).toBe(true);
    expect((await fx.admin.raw("DELETE", `/api/v1/volumes/${rootVolume}`)).status).toBe(204);
    expect(existsSync(moved.path)).toBe(false);
  }, 420_000);

  it("a delete with purge deletes the VM's volume disks with it", async () => {
    const res = await fx.admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: `disk-${suffix}-p`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 128,
      network: "none",
      start: false,
      disks: [{ sizeGiB: 1 }, { sizeGiB: 1, pool: POOL_B }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.guest.id;
    fx.guests.push(id);
    await until(async () => (await guest(id)).state === "stopped", 60_000, 250);
    const list = await disks(id);
    expect(list.map((d) => [d.target, d.pool])).toEqual([
      ["vda", null],
      ["vdb", POOL],
      ["vdc", POOL_B],
    ]);
    await task("DELETE", `/api/v1/guests/${id}?purge=true`);
    fx.guests.splice(fx.guests.indexOf(id), 1);
    const vols = (await fx.admin.json<{ volumes: Volume[] }>("GET", "/api/v1/volumes")).body.volumes;
    for (const d of list.slice(1)) {
      expect(vols.some((v) => v.id === d.volumeId)).toBe(false);
      expect(existsSync(d.path)).toBe(false);
    }
  }, 180_000);
});
