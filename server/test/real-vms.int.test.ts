// VMs through the whole server against the real libvirtd (TCG here): REST create → running →
// the serial banner and an echo over socket.io → the VNC screen through Tandem's own port
// behind a single-use ticket → pause/resume → delete with purge leaves no domain and no disk.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import { LOCAL_HOST_ID } from "../domain/ids";
import { LibvirtDriver } from "../drivers/vm";
import { removeHostGuard } from "../drivers/vm/libvirt/host-guard";
import { Client, connectSocket, startTestServer, until, type TestServer, type TestSocket } from "./harness";
import { upgrade, wsFramePayload } from "./security/support";

const demoDir = path.resolve(import.meta.dirname, "../../data/images/demo");
const suffix = Math.random().toString(36).slice(2, 7);
/** The guests' host firewall table of this run (removed afterwards; Tandem's own stays). */
const GUARD = `tvt_realvms_${suffix}`;
let server: TestServer;
let admin: Client;
let socket: TestSocket | null = null;
const created: string[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(demoDir, "manifest.json")), "setup builds the demo images first").toBe(true);
  server = await startTestServer({
    driverFactory: (dataDir) => [
      new LibvirtDriver({
        uri: "qemu:///system",
        hostId: LOCAL_HOST_ID,
        dataDir,
        accel: "auto",
        logger: pino({ level: "silent" }),
        shutdownTimeoutMs: 30_000,
        isolatedNetwork: { name: "tandem-test-net", bridge: "tdmtestvm0", prefix: "10.231.9" },
        hostGuard: { table: GUARD },
      }),
    ],
    demoImageDir: demoDir,
  });
  admin = new Client(server.url);
  await admin.login();
});

afterAll(async () => {
  socket?.close();
  for (const id of created) {
    await admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
    await until(async () => (await admin.raw("GET", `/api/v1/guests/${id}`)).status === 404, 30_000).catch(() => {});
  }
  await server?.stop();
  await removeHostGuard(GUARD);
});

const guest = async (id: string) => (await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
const call = <T>(s: TestSocket, event: string, payload: unknown) =>
  new Promise<{ ok: boolean; data?: T; error?: { code: string } }>((r) =>
    (s.emit as (...a: unknown[]) => void)(event, payload, r),
  );

/** A websocket upgrade through Tandem as noVNC makes it, with or without the session cookie. */
const vncUpgrade = (pathname: string, cookie: string | null) =>
  upgrade(server.url, pathname, { "Sec-WebSocket-Protocol": "binary", ...(cookie ? { cookie } : {}) });

describe("VMs through Tandem, on the real libvirtd", () => {
  let id = "";
  let consoleIdForCpu = "";

  it("creates the demo VM and reads its serial banner, then echoes", async () => {
    const res = await admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: `it-vm-${suffix}`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 256,
      network: "user",
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    id = res.body.guest.id;
    created.push(id);
    await until(async () => (await guest(id)).state === "running", 60_000, 200);
    expect((await guest(id)).capabilities).toMatchObject({
      vnc: true,
      snapshots: true,
      clone: true,
      rename: true,
      resize: true,
      exec: false,
    });
    socket = await connectSocket(server.url, { cookie: admin.cookie });
    let text = "";
    socket.on("console:data", (p) => (text += new TextDecoder().decode(p.data as ArrayBuffer)));
    const opened = await call<{ consoleId: string }>(socket, "console:open", { guestId: id, cols: 80, rows: 24 });
    expect(opened.ok).toBe(true);
    const consoleId = opened.data!.consoleId;
    // The banner may have been printed before we attached; ask the shell for it again if so.
    await until(
      () => {
        if (!text.includes("Tandem demo VM ready")) socket!.emit("console:input", { consoleId, data: "\r" });
        return text.includes("Tandem demo VM ready") || /[#$] /.test(text);
      },
      90_000,
      1000,
    );
    socket.emit("console:input", { consoleId, data: "echo tandem-$((6*7))\r" });
    await until(() => text.includes("tandem-42"), 20_000, 200);
    consoleIdForCpu = consoleId;
  });

  it("reads low CPU while idle and high CPU during a busy loop", async () => {
    const meanCpu = async (n: number) => {
      const r = await admin.json<{ points: { cpuPct: number }[] }>("GET", `/api/v1/guests/${id}/metrics?range=15m`);
      const last = r.body.points.slice(-n).map((p) => p.cpuPct);
      return last.reduce((a, b) => a + b, 0) / Math.max(1, last.length);
    };
    await new Promise((r) => setTimeout(r, 4000));
    const idle = await meanCpu(3);
    socket!.emit("console:input", { consoleId: consoleIdForCpu, data: "while :; do :; done &\r" });
    await new Promise((r) => setTimeout(r, 5000));
    const busy = await meanCpu(3);
    console.log(`VM CPU idle ${idle.toFixed(1)} %, busy ${busy.toFixed(1)} %, host load ${os.loadavg()[0]}`);
    // Absolute figures depend on what else the two host cores run (TCG here); the gap must be
    // unmistakable.
    expect(idle).toBeLessThan(40);
    expect(busy).toBeGreaterThan(Math.max(2 * idle, idle + 25));
  });

  it("shows its screen through Tandem's port behind a single-use ticket", async () => {
    const t = await admin.json<{ path: string }>("POST", `/api/v1/guests/${id}/vnc`);
    expect(t.status).toBe(200);
    const noCookie = await vncUpgrade(t.body.path, null);
    expect(noCookie.status).toBe(401);
    // An unauthenticated try does not burn the ticket: only a signed-in user consumes one.
    const ok = await vncUpgrade(t.body.path, admin.cookie);
    expect(ok.status).toBe(101);
    expect(wsFramePayload(ok.first)).toMatch(/^RFB 003\.00\d/);
    const reused = await vncUpgrade(t.body.path, admin.cookie);
    expect(reused.status).toBe(403);
  });

  it("pauses, resumes, and deletes with purge leaving no domain and no disk", async () => {
    for (const [action, state] of [
      ["pause", "paused"],
      ["resume", "running"],
    ] as const) {
      const r = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${id}/actions`, { action });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      await until(async () => {
        const tk = (await admin.json<{ task: { state: string } }>("GET", `/api/v1/tasks/${r.body.taskId}`)).body.task;
        return tk.state === "succeeded";
      }, 20_000);
      expect((await guest(id)).state).toBe(state);
    }
    // Resizing waits for the VM to be shut down; then the definition changes.
    const live = await admin.json<{ error: { code: string } }>("PATCH", `/api/v1/guests/${id}`, { memoryMiB: 320 });
    expect(live.status).toBe(409);
    const stop = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${id}/actions`, { action: "stop" });
    expect((await server.services.tasks.waitFor(stop.body.taskId, 30_000)).state).toBe("succeeded");
    const resized = await admin.json<{ guest: Guest }>("PATCH", `/api/v1/guests/${id}`, { memoryMiB: 320, vcpus: 2 });
    expect(resized.status, JSON.stringify(resized.body)).toBe(200);
    expect(resized.body.guest).toMatchObject({ memoryMiB: 320, vcpus: 2, state: "stopped" });
    const renamed = await admin.json<{ guest: Guest }>("PATCH", `/api/v1/guests/${id}`, { name: `it-vm-${suffix}-b` });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.guest).toMatchObject({ id, name: `it-vm-${suffix}-b` });
    expect(
      execFileSync("virsh", ["-c", "qemu:///system", "domname", id.split(".")[2]!], { encoding: "utf8" }).trim(),
    ).toBe(`it-vm-${suffix}-b`);
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
    expect(del.status).toBe(202);
    const task = await until(async () => {
      const tk = (
        await admin.json<{ task: { state: string; error: string } }>("GET", `/api/v1/tasks/${del.body.taskId}`)
      ).body.task;
      return tk.state === "running" ? null : tk;
    }, 60_000);
    expect(task.state, task.error).toBe("succeeded");
    const uuid = id.split(".")[2]!;
    expect(
      execFileSync("virsh", ["-c", "qemu:///system", "list", "--all", "--uuid"], { encoding: "utf8" }),
    ).not.toContain(uuid);
    expect(existsSync(path.join(server.dataDir, "vms", uuid))).toBe(false);
  });
});
