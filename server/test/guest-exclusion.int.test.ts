// Per-guest exclusion over the API, with fake backends whose snapshot revert and remove can be
// held mid-call: while one task works on a guest, every other task on that guest — a delete, a
// snapshot task, a lifecycle action, a clone of it — is refused with 409 CONFLICT, and it goes
// through once the first has finished. Capability refusals come from the services alike. (The same for a real VM: real-vms.int.test.ts.)
import { existsSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import type { Task } from "../contract/task";
import { LOCAL_HOST_ID } from "../domain/ids";
import { FakeDriver } from "../drivers/fake/fake-driver";
import { LibvirtDriver } from "../drivers/vm";
import { removeHostGuard } from "../drivers/vm/libvirt/host-guard";
import { Client as HttpClient, startTestServer, until, type TestServer } from "./harness";
import { CapableFakeDriver, makePrincipals, startCustomServer, type CustomServer } from "./security/support";
import type { Client } from "./harness";

/** A call the test holds open: `entered` resolves when the driver is inside it, `release` lets it end. */
class Hold {
  entered!: Promise<void>;
  private enter!: () => void;
  private gate!: Promise<void>;
  release!: () => void;
  constructor() {
    this.entered = new Promise((r) => (this.enter = r));
    this.gate = new Promise((r) => (this.release = r));
  }
  async pass(): Promise<void> {
    this.enter();
    await this.gate;
  }
}

class HoldingDriver extends CapableFakeDriver {
  revertHold: Hold | null = null;
  removeHold: Hold | null = null;
  cloneHold: Hold | null = null;
  override async clone(...args: Parameters<CapableFakeDriver["clone"]>) {
    await this.cloneHold?.pass();
    return super.clone(...args);
  }
  override async revertSnapshot(id: string, name: string): Promise<void> {
    await this.revertHold?.pass();
    return super.revertSnapshot(id, name);
  }
  override async remove(id: string): Promise<void> {
    await this.removeHold?.pass();
    return super.remove(id);
  }
}

let server: CustomServer;
let admin: Client;
let vms: HoldingDriver;

beforeAll(async () => {
  server = await startCustomServer({
    drivers: () => {
      vms = new HoldingDriver({ kind: "vm", hostId: LOCAL_HOST_ID, createDelayMs: 20 }, () => 1);
      // Containers here have no extras at all (the plain fake): capability refusals.
      return [vms, new FakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, createDelayMs: 20 })];
    },
  });
  admin = (await makePrincipals(server, "ex")).tokens.admin;
});
afterAll(() => server?.stop());

async function finished(taskId: string, c: Client = admin, timeoutMs = 10_000): Promise<Task> {
  return until(async () => {
    const t = (await c.json<{ task: Task }>("GET", `/api/v1/tasks/${taskId}`)).body.task;
    return t.state === "succeeded" || t.state === "failed" ? t : null;
  }, timeoutMs);
}

async function vmWithSnapshot(name: string): Promise<Guest> {
  const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "vm",
    name,
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 64,
    start: false,
  });
  expect(res.status).toBe(202);
  expect(await finished(res.body.taskId)).toMatchObject({ state: "succeeded", kind: "create" });
  const snap = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${res.body.guest.id}/snapshots`, {
    name: "base",
  });
  expect(snap.status).toBe(202);
  expect(await finished(snap.body.taskId)).toMatchObject({ state: "succeeded", kind: "snapshot-create" });
  return res.body.guest;
}

const conflict = { error: { code: "CONFLICT", message: expect.stringMatching(/busy with another task/) } };

describe("one task at a time per guest", () => {
  it("a delete, a snapshot task, an action and a clone wait their turn behind a snapshot revert", async () => {
    const vm = await vmWithSnapshot("ex-revert");
    const hold = (vms.revertHold = new Hold());
    const revert = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${vm.id}/snapshots/base/revert`);
    expect(revert.status).toBe(202);
    await hold.entered;

    const refused = [
      await admin.json("DELETE", `/api/v1/guests/${vm.id}?purge=true`),
      await admin.json("DELETE", `/api/v1/guests/${vm.id}/snapshots/base`),
      await admin.json("POST", `/api/v1/guests/${vm.id}/snapshots`, { name: "second" }),
      await admin.json("POST", `/api/v1/guests/${vm.id}/snapshots/base/revert`),
      await admin.json("POST", `/api/v1/guests/${vm.id}/actions`, { action: "start" }),
      await admin.json("POST", `/api/v1/guests/${vm.id}/clone`, { name: "ex-revert-copy" }),
    ];
    for (const r of refused) expect(r).toMatchObject({ status: 409, body: conflict });

    vms.revertHold = null;
    hold.release();
    expect(await finished(revert.body.taskId)).toMatchObject({ state: "succeeded", kind: "snapshot-revert" });
    // The guest is whole and free again: the delete now goes through.
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${vm.id}?purge=true`);
    expect(del.status).toBe(202);
    expect(await finished(del.body.taskId)).toMatchObject({ state: "succeeded", kind: "delete" });
    expect((await admin.raw("GET", `/api/v1/guests/${vm.id}`)).status).toBe(404);
  });

  it("clones of one source run side by side, and the source cannot be changed while they read it", async () => {
    const vm = await vmWithSnapshot("ex-source");
    const hold = (vms.cloneHold = new Hold());
    const first = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${vm.id}/clone`, {
      name: "ex-source-c1",
    });
    expect(first.status).toBe(202);
    await hold.entered;
    // A second clone reads the same source: it may run beside the first (the wizard's "How many").
    const second = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${vm.id}/clone`, {
      name: "ex-source-c2",
    });
    expect(second.status).toBe(202);
    for (const r of [
      await admin.json("DELETE", `/api/v1/guests/${vm.id}?purge=true`),
      await admin.json("POST", `/api/v1/guests/${vm.id}/snapshots/base/revert`),
      await admin.json("POST", `/api/v1/guests/${vm.id}/actions`, { action: "start" }),
    ])
      expect(r).toMatchObject({ status: 409, body: conflict });
    vms.cloneHold = null;
    hold.release();
    for (const t of [first, second]) {
      expect(await finished(t.body.taskId)).toMatchObject({ state: "succeeded", kind: "clone" });
    }
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${vm.id}?purge=true`);
    expect(del.status).toBe(202);
    expect(await finished(del.body.taskId)).toMatchObject({ state: "succeeded", kind: "delete" });
  });

  it("a snapshot revert is refused while the guest is being deleted", async () => {
    const vm = await vmWithSnapshot("ex-delete");
    const hold = (vms.removeHold = new Hold());
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${vm.id}`);
    expect(del.status).toBe(202);
    await hold.entered;
    const revert = await admin.json("POST", `/api/v1/guests/${vm.id}/snapshots/base/revert`);
    expect(revert).toMatchObject({ status: 409, body: conflict });
    vms.removeHold = null;
    hold.release();
    expect(await finished(del.body.taskId)).toMatchObject({ state: "succeeded", kind: "delete" });
  });

  it("capability checks answer from the services: a backend without snapshots or clones gets a clear 400", async () => {
    const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
      kind: "container",
      name: "ex-ct",
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      start: false,
    });
    expect(await finished(res.body.taskId)).toMatchObject({ state: "succeeded" });
    const id = res.body.guest.id;
    for (const [method, path, body, message] of [
      ["GET", `/api/v1/guests/${id}/snapshots`, undefined, "snapshots is not available for containers"],
      ["POST", `/api/v1/guests/${id}/snapshots`, { name: "s1" }, "snapshots is not available for containers"],
      ["POST", `/api/v1/guests/${id}/snapshots/s1/revert`, undefined, "snapshots is not available for containers"],
      ["POST", `/api/v1/guests/${id}/clone`, { name: "ex-ct-copy" }, "cloning is not available for containers"],
      ["GET", `/api/v1/guests/${id}/logs`, undefined, "logs is not available for containers"],
    ] as const) {
      expect(await admin.json(method, path, body)).toMatchObject({ status: 400, body: { error: { message } } });
    }
    // Nothing was started for them: the guest is free for the next task at once.
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}`);
    expect(del.status).toBe(202);
  });
});

/** The real libvirt driver with its snapshot revert held (before the real call) on request. */
class HoldingLibvirt extends LibvirtDriver {
  revertHold: Hold | null = null;
  override async revertSnapshot(id: string, name: string): Promise<void> {
    await this.revertHold?.pass();
    return super.revertSnapshot(id, name);
  }
}

describe("one task at a time per guest, on a real VM (libvirtd)", () => {
  const demoDir = path.resolve(import.meta.dirname, "../../data/images/demo");
  const suffix = Math.random().toString(36).slice(2, 7);
  const guard = `tvt_exclusion_${suffix}`;
  let real: TestServer;
  let c: HttpClient;
  let driver: HoldingLibvirt;
  let id = "";

  beforeAll(async () => {
    expect(existsSync(path.join(demoDir, "manifest.json")), "setup builds the demo images first").toBe(true);
    real = await startTestServer({
      driverFactory: (dataDir) => [
        (driver = new HoldingLibvirt({
          uri: "qemu:///system",
          hostId: LOCAL_HOST_ID,
          dataDir,
          accel: "auto",
          logger: pino({ level: "silent" }),
          shutdownTimeoutMs: 30_000,
          isolatedNetwork: { name: "tandem-test-net", bridge: "tdmtestvm0", prefix: "10.231.9" },
          hostGuard: { table: guard },
        })),
      ],
      demoImageDir: demoDir,
    });
    c = new HttpClient(real.url);
    await c.login();
  });

  afterAll(async () => {
    if (driver) driver.revertHold = null;
    if (id) {
      await c.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
      await until(async () => (await c.raw("GET", `/api/v1/guests/${id}`)).status === 404, 60_000).catch(() => {});
    }
    await real?.stop();
    await removeHostGuard(guard);
  });

  it("a delete of the VM is refused while a revert of it runs, and goes through after", async () => {
    const res = await c.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: `ex-vm-${suffix}`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 128,
      start: false,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    id = res.body.guest.id;
    expect(await finished(res.body.taskId, c, 120_000)).toMatchObject({ state: "succeeded" });
    const snap = await c.json<{ taskId: string }>("POST", `/api/v1/guests/${id}/snapshots`, { name: "base" });
    expect(await finished(snap.body.taskId, c, 60_000)).toMatchObject({ state: "succeeded" });

    const hold = (driver.revertHold = new Hold());
    const revert = await c.json<{ taskId: string }>("POST", `/api/v1/guests/${id}/snapshots/base/revert`);
    expect(revert.status).toBe(202);
    await hold.entered;
    expect(await c.json("DELETE", `/api/v1/guests/${id}?purge=true`)).toMatchObject({ status: 409, body: conflict });
    expect(await c.json("DELETE", `/api/v1/guests/${id}/snapshots/base`)).toMatchObject({
      status: 409,
      body: conflict,
    });
    driver.revertHold = null;
    hold.release();
    expect(await finished(revert.body.taskId, c, 60_000)).toMatchObject({ state: "succeeded" });

    const del = await c.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
    expect(del.status).toBe(202);
    expect(await finished(del.body.taskId, c, 120_000)).toMatchObject({ state: "succeeded" });
    expect((await c.raw("GET", `/api/v1/guests/${id}`)).status).toBe(404);
    id = "";
  });
});
