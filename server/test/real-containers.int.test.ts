// Containers through the whole server against real conmon + crun: REST create → running →
// console echo over socket.io → CPU% under a half-core limit reads about 50 → history →
// stop → delete leaves nothing behind.
import { existsSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import { LOCAL_HOST_ID } from "../domain/ids";
import { ContainerDriver } from "../drivers/container";
import {
  Client,
  connectSocket,
  removeCgroupParent,
  startTestServer,
  until,
  type TestServer,
  type TestSocket,
} from "./harness";

const demoDir = path.resolve(import.meta.dirname, "../../data/images/demo");
let server: TestServer;
let driver: ContainerDriver | null = null;
let admin: Client;
let socket: TestSocket | null = null;
const created: string[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(demoDir, "manifest.json")), "setup builds the demo images first").toBe(true);
  server = await startTestServer({
    driverFactory: (dataDir) => [
      (driver = new ContainerDriver({
        hostId: LOCAL_HOST_ID,
        dataDir,
        logger: pino({ level: "silent" }),
        // Own names so a developer's running Tandem on this host is never touched.
        bridge: "tdmtest0",
        subnet: "10.231.7.0/24",
        nftTable: "tandem_test",
        cgroupParent: "tandem-test",
        netnsPrefix: "tdmtest-",
        shutdownTimeoutMs: 3000,
      })),
    ],
    containers: true,
    demoImageDir: demoDir,
  });
  admin = new Client(server.url);
  await admin.login();
});

afterAll(async () => {
  socket?.close();
  for (const id of created) await admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
  for (const id of created)
    await until(async () => (await admin.raw("GET", `/api/v1/guests/${id}`)).status === 404, 20_000).catch(() => {});
  await server?.stop();
  await driver?.network.destroy();
  removeCgroupParent("tandem-test");
});

async function guest(id: string) {
  return (await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
}

async function create(over: Record<string, unknown>) {
  const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    ...over,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  created.push(res.body.guest.id);
  await until(async () => (await guest(res.body.guest.id)).state === "running", 30_000);
  return res.body.guest.id;
}

describe("containers through Tandem, on real conmon + crun", () => {
  it("creates from the demo image and types in its console", async () => {
    const id = await create({ name: "real-shell", command: ["/bin/sh"] });
    expect((await guest(id)).capabilities).toMatchObject({ exec: true, logs: true, vnc: false, snapshots: false });
    socket = await connectSocket(server.url, { cookie: admin.cookie });
    let text = "";
    socket.on("console:data", (p) => (text += new TextDecoder().decode(p.data as ArrayBuffer)));
    const opened = await new Promise<{ ok: boolean; data?: { consoleId: string } }>((r) =>
      socket!.emit("console:open", { guestId: id, cols: 80, rows: 24 }, r),
    );
    expect(opened.ok).toBe(true);
    socket.emit("console:input", { consoleId: opened.data!.consoleId, data: "echo tandem-$((6*7))\r" });
    await until(() => text.includes("tandem-42"), 10_000);
  });

  it("reads about 50 % CPU for a busy loop under a half-core limit", async () => {
    const id = await create({ name: "real-burn", vcpus: 0.5, command: ["/bin/sh", "-c", "while :; do :; done"] });
    // Let the ring fill with steady-state points, then average the last few seconds.
    const points = await until(async () => {
      const r = await admin.json<{ points: { cpuPct: number }[] }>("GET", `/api/v1/guests/${id}/metrics?range=15m`);
      return r.body.points.length >= 6 ? r.body.points : null;
    }, 20_000);
    const recent = points.slice(-4).map((p) => p.cpuPct);
    const mean = recent.reduce((a, b) => a + b, 0) / recent.length;
    expect(mean).toBeGreaterThan(35);
    expect(mean).toBeLessThan(65);
  });

  it("renames and resizes a running container live; the cgroup limit follows", async () => {
    const id = await create({ name: "real-resize", memoryMiB: 64, command: ["/bin/sh"] });
    const res = await admin.json<{ guest: Guest }>("PATCH", `/api/v1/guests/${id}`, {
      name: "real-resized",
      memoryMiB: 96,
      vcpus: 0.5,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.guest).toMatchObject({ name: "real-resized", memoryMiB: 96, vcpus: 0.5, state: "running" });
    const limit = await until(async () => {
      const r = await admin.json<{ points: { memLimit: number }[] }>("GET", `/api/v1/guests/${id}/metrics?range=15m`);
      const last = r.body.points.at(-1);
      return last && last.memLimit === 96 * 1024 * 1024 ? last.memLimit : null;
    }, 10_000);
    expect(limit).toBe(96 * 1024 * 1024);
    const taken = await admin.json("PATCH", `/api/v1/guests/${id}`, { name: "real-shell" });
    expect(taken.status).toBe(409);
  });

  it("stops and deletes, leaving no bundle directory behind", async () => {
    const id = await create({ name: "real-gone", command: ["/bin/sh"] });
    const stop = await admin.json("POST", `/api/v1/guests/${id}/actions`, { action: "stop" });
    expect(stop.status).toBe(202);
    await until(async () => (await guest(id)).state === "stopped", 20_000);
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
    expect(del.status).toBe(202);
    const task = await until(async () => {
      const t = (await admin.json<{ task: { state: string } }>("GET", `/api/v1/tasks/${del.body.taskId}`)).body.task;
      return t.state === "running" ? null : t;
    }, 20_000);
    expect(task.state).toBe("succeeded");
    expect((await admin.raw("GET", `/api/v1/guests/${id}`)).status).toBe(404);
    const uuid = id.split(".")[2]!;
    expect(existsSync(path.join(server.dataDir, "containers", uuid))).toBe(false);
  });
});
