// kill -9 of the Tandem process in the middle of every kind of task on a guest, on the real
// backends. The kill lands at a known step: a driver call held by the child (held-calls.ts) —
// the delete's stop, the action, the snapshot call — or a held `qemu-img` inside a clone. After
// a restart on the same data directory the interrupted task is failed and says what became of
// it, and the guest is whole: a delete is finished (the guest is gone, nothing of it left on the
// host), an action and a snapshot revert or delete are finished, a clone and a snapshot create
// are rolled back. The recovery is a task of its own, by "tandem", in the activity log.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../contract/guest";
import type { Task } from "../../contract/task";
import { until } from "../harness";
import { FaultRig, HAVE_CONTAINERS, haveLibvirt, pidAlive, uuidOf, virsh, type TandemProcess } from "./support";

async function post(p: TandemProcess, path: string, body?: unknown): Promise<{ taskId: string; guest?: Guest }> {
  const res = await p.admin.json<{ taskId: string; guest?: Guest }>("POST", path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body;
}

async function task(p: TandemProcess, id: string): Promise<Task> {
  return (await p.admin.json<{ task: Task }>("GET", `/api/v1/tasks/${id}`)).body.task;
}

async function finished(p: TandemProcess, id: string, timeoutMs = 120_000): Promise<Task> {
  return until(async () => {
    const t = await task(p, id);
    return t.state === "succeeded" || t.state === "failed" ? t : null;
  }, timeoutMs);
}

async function guestOf(p: TandemProcess, id: string): Promise<Guest | null> {
  const res = await p.admin.json<{ guest?: Guest }>("GET", `/api/v1/guests/${id}`);
  return res.status === 404 ? null : res.body.guest!;
}

/** The interrupted task failed and names the outcome; the recovery task (if any) succeeded. */
async function expectRecovered(p: TandemProcess, taskId: string, outcome: RegExp, recovery: string | null) {
  const t = await task(p, taskId);
  expect(t).toMatchObject({ state: "failed", error: expect.stringMatching(/^interrupted/) });
  expect(t.error).toMatch(outcome);
  const all = await p.admin.json<{ tasks: Task[] }>("GET", `/api/v1/tasks?targetId=${t.targetId}`);
  const rec = all.body.tasks.find((x) => x.kind === "recover" && x.action === recovery);
  if (recovery === null) return;
  expect(rec, JSON.stringify(all.body.tasks.map((x) => x.action))).toMatchObject({
    state: "succeeded",
    username: "tandem",
  });
}

/**
 * Starts Tandem with `spec` held, runs `begin` (which starts the task), kills Tandem once the
 * held call is made, and starts it again without the hold. Returns the new process and task id.
 */
async function killDuring(
  rig: FaultRig,
  spec: string,
  begin: (p: TandemProcess) => Promise<string>,
): Promise<{ p: TandemProcess; taskId: string }> {
  const held = await rig.start(rig.holdCall(spec));
  const taskId = await begin(held);
  await rig.waitHeldCall();
  await held.kill9();
  return { p: await rig.start(), taskId };
}

describe.skipIf(!haveLibvirt())("kill -9 mid task on a VM (libvirt)", () => {
  let rig: FaultRig;
  let id = "";
  beforeAll(() => {
    rig = new FaultRig("libvirt");
  });
  afterAll(() => rig?.cleanup());

  const state = async (p: TandemProcess) => (await guestOf(p, id))?.state;

  it("setup: a stopped VM with a snapshot", async () => {
    const p = await rig.start();
    try {
      const res = await post(p, "/api/v1/guests", {
        kind: "vm",
        name: `${rig.prefix}-task`,
        image: "demo-vm",
        vcpus: 1,
        memoryMiB: 128,
        network: "user",
        start: false,
      });
      id = res.guest!.id;
      expect(await finished(p, res.taskId)).toMatchObject({ state: "succeeded" });
      const snap = await post(p, `/api/v1/guests/${id}/snapshots`, { name: "base" });
      expect(await finished(p, snap.taskId)).toMatchObject({ state: "succeeded" });
    } finally {
      await p.stop();
    }
  });

  it("a start: finished on restart, the VM runs", async () => {
    const { p, taskId } = await killDuring(rig, "act:start", async (h) => {
      return (await post(h, `/api/v1/guests/${id}/actions`, { action: "start" })).taskId;
    });
    try {
      await expectRecovered(p, taskId, /finished on restart/, "finish interrupted start");
      expect(await state(p)).toBe("running");
    } finally {
      await p.stop();
    }
  });

  it("a snapshot create: rolled back on restart (the snapshot was never made: nothing to undo)", async () => {
    const { p, taskId } = await killDuring(rig, "createSnapshot", async (h) => {
      return (await post(h, `/api/v1/guests/${id}/snapshots`, { name: "half" })).taskId;
    });
    try {
      await expectRecovered(p, taskId, /no snapshot was left/, null);
      const snaps = await p.admin.json<{ snapshots: { name: string }[] }>("GET", `/api/v1/guests/${id}/snapshots`);
      expect(snaps.body.snapshots.map((s) => s.name)).toEqual(["base"]);
    } finally {
      await p.stop();
    }
  });

  it("a snapshot revert: finished on restart, the VM is back at the stopped snapshot", async () => {
    const { p, taskId } = await killDuring(rig, "revertSnapshot", async (h) => {
      return (await post(h, `/api/v1/guests/${id}/snapshots/base/revert`)).taskId;
    });
    try {
      await expectRecovered(p, taskId, /finished on restart/, "finish interrupted snapshot-revert");
      expect(await state(p)).toBe("stopped");
    } finally {
      await p.stop();
    }
  });

  it("a clone, killed while qemu-img makes its disk: rolled back, nothing of the copy left", async () => {
    rig.hold("qemu-img", "*");
    let p = await rig.start();
    const res = await post(p, `/api/v1/guests/${id}/clone`, { name: `${rig.prefix}-copy`, mode: "full" });
    const wrapper = await rig.waitHeld("qemu-img");
    await p.kill9();
    await until(() => !pidAlive(wrapper), 5000);
    rig.release("qemu-img");
    p = await rig.start();
    try {
      const t = await task(p, res.taskId);
      expect(t).toMatchObject({ state: "failed", kind: "clone", error: expect.stringMatching(/^interrupted/) });
      expect(await guestOf(p, res.guest!.id)).toBeNull();
      // The directory the driver made before the domain existed is swept by its first listing.
      await until(() => rig.vmLeftovers(uuidOf(res.guest!.id)).length === 0, 30_000);
      // The source is untouched and free.
      expect(await state(p)).toBe("stopped");
    } finally {
      await p.stop();
    }
  });

  it("a snapshot delete: finished on restart, the snapshot is gone", async () => {
    const { p, taskId } = await killDuring(rig, "deleteSnapshot", async (h) => {
      const snap = await post(h, `/api/v1/guests/${id}/snapshots`, { name: "gone" });
      expect(await finished(h, snap.taskId)).toMatchObject({ state: "succeeded" });
      const del = await h.admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}/snapshots/gone`);
      expect(del.status).toBe(202);
      return del.body.taskId;
    });
    try {
      await expectRecovered(p, taskId, /finished on restart/, "finish interrupted snapshot-delete");
      const snaps = await p.admin.json<{ snapshots: { name: string }[] }>("GET", `/api/v1/guests/${id}/snapshots`);
      expect(snaps.body.snapshots.map((s) => s.name)).toEqual(["base"]);
    } finally {
      await p.stop();
    }
  });

  it("a delete of the running VM, killed before the stop: finished on restart, nothing left", async () => {
    const { p, taskId } = await killDuring(rig, "act:stop", async (h) => {
      const start = await post(h, `/api/v1/guests/${id}/actions`, { action: "start" });
      expect(await finished(h, start.taskId)).toMatchObject({ state: "succeeded" });
      expect(await state(h)).toBe("running");
      const del = await h.admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
      expect(del.status).toBe(202);
      return del.body.taskId;
    });
    try {
      await expectRecovered(p, taskId, /finished on restart/, "finish interrupted delete");
      expect(await guestOf(p, id)).toBeNull();
      expect(rig.vmLeftovers(uuidOf(id))).toEqual([]);
      expect(virsh(["list", "--all", "--uuid"])).not.toContain(uuidOf(id));
    } finally {
      await p.stop();
    }
  });
});

describe.skipIf(!HAVE_CONTAINERS)("kill -9 mid delete of a running container (conmon + crun)", () => {
  let rig: FaultRig;
  beforeAll(() => {
    rig = new FaultRig("oci");
  });
  afterAll(() => rig?.cleanup());

  // The container driver stops what it removes (removesRunning): the delete's one driver call.
  it("killed before the removal: the delete is finished on restart, nothing of it left", async () => {
    let id = "";
    const { p, taskId } = await killDuring(rig, "remove", async (h) => {
      const res = await post(h, "/api/v1/guests", {
        kind: "container",
        name: `${rig.prefix}-del`,
        image: "demo-busybox",
        vcpus: 1,
        memoryMiB: 64,
        command: ["/bin/sh"],
      });
      id = res.guest!.id;
      expect(await finished(h, res.taskId)).toMatchObject({ state: "succeeded" });
      expect((await guestOf(h, id))?.state).toBe("running");
      const del = await h.admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
      expect(del.status).toBe(202);
      return del.body.taskId;
    });
    try {
      await expectRecovered(p, taskId, /finished on restart/, "finish interrupted delete");
      expect(await guestOf(p, id)).toBeNull();
      expect(rig.containerLeftovers(uuidOf(id))).toEqual([]);
    } finally {
      await p.stop();
    }
  });
});
