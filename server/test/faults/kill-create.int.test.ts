// kill -9 of the Tandem process in the middle of creating a container and a VM, on the real
// backends. The kill lands at a known step (a held `mount` / `qemu-img` call) or right after the
// backend has the guest (the container's pid file, the libvirt domain). After a restart on the
// same data directory: the task is failed, the guest does not exist (not in the list, 404), and
// nothing of it is left on the host — no directory, mount, netns, veth, cgroup, process, domain
// or disk.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../contract/guest";
import type { Task } from "../../contract/task";
import { until } from "../harness";
import {
  FaultRig,
  HAVE_CONTAINERS,
  haveLibvirt,
  integrityCheck,
  pidAlive,
  processesWith,
  uuidOf,
  virsh,
  type TandemProcess,
} from "./support";

async function createGuest(p: TandemProcess, body: Record<string, unknown>) {
  const res = await p.admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", body);
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { id: res.body.guest.id, taskId: res.body.taskId, uuid: uuidOf(res.body.guest.id) };
}

async function guestState(p: TandemProcess, id: string): Promise<string | undefined> {
  return (await p.admin.json<{ guest?: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest?.state;
}

/** After the restart: the task failed as interrupted, and the guest is nowhere. */
async function expectRolledBack(p: TandemProcess, g: { id: string; taskId: string }) {
  const task = await p.admin.json<{ task: Task }>("GET", `/api/v1/tasks/${g.taskId}`);
  expect(task.body.task).toMatchObject({ state: "failed", error: expect.stringMatching(/interrupted/) });
  expect((await p.admin.raw("GET", `/api/v1/guests/${g.id}`)).status).toBe(404);
  const list = await p.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests");
  expect(list.body.guests.map((x) => x.id)).not.toContain(g.id);
}

describe.skipIf(!HAVE_CONTAINERS)("kill -9 mid container create (conmon + crun)", () => {
  let rig: FaultRig;
  beforeAll(() => {
    rig = new FaultRig("oci");
  });
  afterAll(() => rig?.cleanup());
  let survivor: { id: string; pid: number };

  it("a running container outlives kill -9 of Tandem and is re-adopted, same process", async () => {
    let p = await rig.start();
    const g = await createGuest(p, {
      kind: "container",
      name: `${rig.prefix}-keep`,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      command: ["/bin/sh"],
    });
    await until(async () => (await guestState(p, g.id)) === "running", 30_000);
    const pid = Number(readFileSync(path.join(rig.dataDir, "containers", g.uuid, "pid"), "utf8"));
    await p.kill9();
    expect(pidAlive(pid)).toBe(true);
    p = await rig.start();
    try {
      expect(await guestState(p, g.id)).toBe("running");
      expect(Number(readFileSync(path.join(rig.dataDir, "containers", g.uuid, "pid"), "utf8"))).toBe(pid);
      survivor = { id: g.id, pid };
    } finally {
      await p.stop();
    }
  });

  it("while mounting the root file system: rolled back on restart, nothing left", async () => {
    rig.hold("mount", "* overlay *");
    let p = await rig.start();
    const g = await createGuest(p, {
      kind: "container",
      name: `${rig.prefix}-mnt`,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      command: ["/bin/sh"],
    });
    const wrapper = await rig.waitHeld("mount");
    // Half a container right now: its directory and record, its disk mounted, and the idmapped
    // binds of its image layers waiting for the overlay (its netns comes later, from crun).
    const half = rig.containerLeftovers(g.uuid);
    expect(half.some((x) => x.startsWith("directory"))).toBe(true);
    expect(half.some((x) => x.startsWith("mount") && x.includes("/layer"))).toBe(true);
    expect(half.some((x) => x.startsWith("mount") && x.includes("/lower/0"))).toBe(true);
    await p.kill9();
    // The held `mount` notices its parent is gone and never mounts.
    await until(() => !pidAlive(wrapper), 5000);
    rig.release("mount");
    p = await rig.start();
    try {
      await expectRolledBack(p, g);
      expect(rig.containerLeftovers(g.uuid)).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  it("with the container already running under conmon: rolled back on restart, nothing left", async () => {
    let p = await rig.start();
    const g = await createGuest(p, {
      kind: "container",
      name: `${rig.prefix}-run`,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      command: ["/bin/sh"],
    });
    const dir = path.join(rig.dataDir, "containers", g.uuid);
    // conmon writes the pid file once `crun create` has the container: kill Tandem right then.
    await until(() => existsSync(path.join(dir, "pid")), 30_000, 2);
    await p.kill9();
    const record = JSON.parse(readFileSync(path.join(dir, "state.json"), "utf8")) as { creating: boolean };
    expect(rig.containerLeftovers(g.uuid).some((x) => x.startsWith("process"))).toBe(true);
    console.log(
      `container killed with creating=${record.creating} (the driver had${record.creating ? " not" : ""} finished)`,
    );
    p = await rig.start();
    try {
      await expectRolledBack(p, g);
      await until(() => rig.containerLeftovers(g.uuid).length === 0, 10_000).catch(() => undefined);
      expect(rig.containerLeftovers(g.uuid)).toEqual([]);
      // The restart made no other mess: a new container comes up and goes cleanly.
      const again = await createGuest(p, {
        kind: "container",
        name: `${rig.prefix}-after`,
        image: "demo-busybox",
        vcpus: 1,
        memoryMiB: 64,
        command: ["/bin/sh"],
      });
      await until(
        async () =>
          (await p.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${again.id}`)).body.guest?.state === "running",
        30_000,
      );
      expect((await p.admin.raw("DELETE", `/api/v1/guests/${again.id}?purge=true`)).status).toBe(202);
      await until(async () => (await p.admin.raw("GET", `/api/v1/guests/${again.id}`)).status === 404, 30_000);
      // The guest is gone from the list before its files: the remove task finishes the teardown.
      await until(() => rig.containerLeftovers(again.uuid).length === 0, 10_000).catch(() => undefined);
      expect(rig.containerLeftovers(again.uuid)).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  it("the database survived every kill -9, and the rollbacks left the survivor alone", async () => {
    expect(await integrityCheck(path.join(rig.dataDir, "tandem.db"))).toBe("ok");
    expect(pidAlive(survivor.pid)).toBe(true);
  });
});

describe.skipIf(!haveLibvirt())("kill -9 mid VM create (libvirt)", () => {
  let rig: FaultRig;
  beforeAll(() => {
    rig = new FaultRig("libvirt");
  });
  afterAll(() => rig?.cleanup());

  const vm = (name: string) => ({
    kind: "vm",
    name: `${rig.prefix}-${name}`,
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 128,
    network: "user",
  });

  /**
   * Killed while `qemu-img` makes the disk (held before it runs) or just after (held on the size
   * read that follows, so disk.qcow2 is on disk). libvirt never saw the domain.
   */
  const killDuringDisk = async (pattern: string, name: string) => {
    rig.hold("qemu-img", pattern);
    let p = await rig.start();
    const g = await createGuest(p, vm(name));
    const wrapper = await rig.waitHeld("qemu-img");
    await p.kill9();
    await until(() => !pidAlive(wrapper), 5000);
    rig.release("qemu-img");
    p = await rig.start();
    try {
      await expectRolledBack(p, g);
      return { g, leftovers: rig.vmLeftovers(g.uuid) };
    } finally {
      await p.stop();
    }
  };
  const disk: { leftovers: string[] }[] = [];

  let survivor: { id: string; pid: number };

  it("a running VM outlives kill -9 of Tandem and is re-adopted, same QEMU process", async () => {
    let p = await rig.start();
    const g = await createGuest(p, vm("keep"));
    await until(async () => (await guestState(p, g.id)) === "running", 60_000);
    const [pid] = processesWith(g.uuid);
    expect(pid).toBeDefined();
    await p.kill9();
    expect(pidAlive(pid!)).toBe(true);
    p = await rig.start();
    try {
      expect(await guestState(p, g.id)).toBe("running");
      expect(processesWith(g.uuid)).toContain(pid);
      survivor = { id: g.id, pid: pid! };
    } finally {
      await p.stop();
    }
  });

  // The one process a demo VM's create runs: `qemu-img create` of its overlay (the first on its
  // base in a Tandem process; later ones are written from its bytes, and the size and backing
  // chain are no longer read back with `qemu-img info`).
  it("while creating its disk: the task failed, no domain, no process", async () => {
    disk.push(await killDuringDisk("?create *", "disk"));
    for (const d of disk) expect(d.leftovers.filter((x) => !x.startsWith("directory"))).toEqual([]);
  });

  // LibvirtDriver makes vms/<uuid>/ before the domain exists; its first listing after a restart
  // sweeps directories that no domain owns.
  it("while creating its disk: no orphan directory or disk either", () => {
    expect(disk.length).toBe(1);
    for (const d of disk) expect(d.leftovers).toEqual([]);
  });

  it("right after libvirt has the domain: rolled back on restart, nothing left", async () => {
    let p = await rig.start();
    const g = await createGuest(p, vm("dom"));
    await until(() => virsh(["list", "--all", "--uuid"]).includes(g.uuid), 30_000, 5);
    await p.kill9();
    expect(rig.vmLeftovers(g.uuid).some((x) => x.startsWith("domain"))).toBe(true);
    p = await rig.start();
    try {
      await expectRolledBack(p, g);
      // The roll-back is a task of its own in the activity log.
      const tasks = await p.admin.json<{ tasks: Task[] }>("GET", `/api/v1/tasks?targetId=${g.id}`);
      expect(tasks.body.tasks.find((t) => t.action === "roll back interrupted create")).toMatchObject({
        state: "succeeded",
        username: "tandem",
      });
      expect(rig.vmLeftovers(g.uuid)).toEqual([]);
    } finally {
      await p.stop();
    }
  });

  it("the database survived every kill -9, and the rollbacks left the survivor alone", async () => {
    expect(await integrityCheck(path.join(rig.dataDir, "tandem.db"))).toBe("ok");
    expect(pidAlive(survivor.pid)).toBe(true);
  });
});
