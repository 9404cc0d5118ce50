// Faults under a running Tandem with real containers (conmon + crun), seen through the server as
// a user sees them (REST and the pushed socket.io events): the container's init killed from
// outside, conmon killed, and two users acting on the same container at once.
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../contract/guest";
import { LOCAL_HOST_ID } from "../../domain/ids";
import { ContainerDriver } from "../../drivers/container";
import { Client, connectSocket, startTestServer, until, type TestServer, type TestSocket } from "../harness";
import { faultNames } from "./names";
import { DEMO_DIR, HAVE_CONTAINERS, pidAlive, processesWith, sweepContainerHost, uuidOf } from "./support";

const tag = randomBytes(3).toString("hex");
const names = faultNames(tag);
let server: TestServer;
let admin: Client;
let socket: TestSocket;
const seen: { id: string; state: string }[] = [];
const created: string[] = [];

beforeAll(async () => {
  if (!HAVE_CONTAINERS) return;
  server = await startTestServer({
    driverFactory: (dataDir) => [
      new ContainerDriver({
        hostId: LOCAL_HOST_ID,
        dataDir,
        logger: pino({ level: "silent" }),
        bridge: names.bridge,
        subnet: names.subnet,
        nftTable: names.nftTable,
        cgroupParent: names.cgroupParent,
        netnsPrefix: names.netnsPrefix,
        shutdownTimeoutMs: 2000,
      }),
    ],
    containers: true,
    demoImageDir: DEMO_DIR,
  });
  admin = new Client(server.url);
  await admin.login();
  socket = await connectSocket(server.url, { cookie: admin.cookie });
  socket.on("guest:upsert", (g) => seen.push({ id: g.id, state: g.state }));
});

afterAll(async () => {
  socket?.close();
  if (!server) return;
  const actor = { userId: null, username: "test-cleanup" };
  for (const id of created) {
    // Retry while another task holds the guest; stop when it is gone.
    for (let i = 0; i < 100; i++) {
      try {
        const { taskId } = await server.services.guests.remove(actor, id, true);
        await server.services.tasks.waitFor(taskId, 30_000);
      } catch (e) {
        if ((e as { code?: string }).code === "NOT_FOUND") break;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
    }
  }
  await server.close();
  // Whatever is still there (a failed test's container, the bridge, nft table, cgroup parent):
  // a fresh driver on the same directory re-adopts and removes it. Then the files.
  await sweepContainerHost(names, server.dataDir);
  rmSync(server.dataDir, { recursive: true, force: true });
});

/** Waits until no task of this guest is running (the loser of a race may have started one). */
async function tasksDone(id: string) {
  await until(async () => {
    const t = await admin.json<{ tasks: { state: string }[] }>("GET", `/api/v1/tasks?targetId=${id}`);
    return t.body.tasks.every((x) => x.state !== "running" && x.state !== "queued");
  }, 30_000);
}

const guest = async (id: string) => (await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
const files = (id: string) => path.join(server.dataDir, "containers", uuidOf(id));
const readPid = (file: string) => {
  try {
    return Number(readFileSync(file, "utf8").trim()) || null;
  } catch {
    return null;
  }
};
const initPid = (id: string) => readPid(path.join(files(id), "pid"));
const conmonPid = (id: string) => readPid(path.join(files(id), "conmon.pid"));

async function running(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
    kind: "container",
    name: `tdf-${tag}-${name}`,
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    command: ["/bin/sh"],
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  created.push(res.body.guest.id);
  await until(async () => (await guest(res.body.guest.id))?.state === "running", 30_000);
  return res.body.guest.id;
}

describe.skipIf(!HAVE_CONTAINERS)("a container's init killed from outside", () => {
  it("restart policy `always`: restarted with a new init, and the browser saw it go down and up", async () => {
    const id = await running("always", { restartPolicy: "always" });
    const before = initPid(id)!;
    const t0 = Date.now();
    process.kill(before, "SIGKILL");
    await until(async () => {
      const pid = initPid(id);
      return pid && pid !== before && pidAlive(pid) && (await guest(id)).state === "running";
    }, 20_000);
    console.log(`init SIGKILL → running again in ${Date.now() - t0} ms`);
    // Pushed to the browser as well: the last state it got is `running` again.
    await until(() => seen.filter((s) => s.id === id).at(-1)?.state === "running", 5000);
  });

  it("restart policy `no`: reported as crashed and stays down; starting it again works", async () => {
    const id = await running("no", { restartPolicy: "no" });
    process.kill(initPid(id)!, "SIGKILL");
    await until(async () => (await guest(id)).state === "crashed", 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await guest(id)).state).toBe("crashed");
    expect(seen.some((s) => s.id === id && s.state === "crashed")).toBe(true);
    expect((await admin.json("POST", `/api/v1/guests/${id}/actions`, { action: "start" })).status).toBe(202);
    await until(async () => (await guest(id)).state === "running", 20_000);
  });
});

describe.skipIf(!HAVE_CONTAINERS)("conmon killed", () => {
  // conmon holds the container's PTY: killed, the TTY hangs up and the container's shell and
  // tini exit with it (no exit file: conmon wrote it). What Tandem does about that:
  it("takes its TTY container down: Tandem shows no ghost, and start and delete still work", async () => {
    const id = await running("conmon", { restartPolicy: "no" });
    const init = initPid(id)!;
    process.kill(conmonPid(id)!, "SIGKILL");
    await until(async () => (await guest(id)).state !== "running", 5000);
    expect(["stopped", "crashed"]).toContain((await guest(id)).state);
    await until(() => processIsGone(init), 5000);
    const start = await admin.json<{ taskId: string }>("POST", `/api/v1/guests/${id}/actions`, { action: "start" });
    expect(start.status).toBe(202);
    expect((await server.services.tasks.waitFor(start.body.taskId, 20_000)).state).toBe("succeeded");
    expect((await guest(id)).state).toBe("running");
    expect(conmonPid(id) && pidAlive(conmonPid(id)!)).toBe(true);
    const del = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
    expect((await server.services.tasks.waitFor(del.body.taskId, 20_000)).state).toBe("succeeded");
    expect(processesWith(uuidOf(id))).toEqual([]);
  });

  // With conmon dead no exit file is written; the driver's once-a-second watchdog notices the
  // init is gone, pushes the change and applies the restart policy.
  it("is pushed as a crash and restart policy `always` brings the container back", async () => {
    const id = await running("both", { restartPolicy: "always" });
    const init = initPid(id)!;
    const mark = seen.length;
    process.kill(conmonPid(id)!, "SIGKILL");
    await until(() => seen.slice(mark).some((s) => s.id === id && s.state !== "running"), 5000);
    await until(async () => {
      const pid = initPid(id);
      return (await guest(id)).state === "running" && pid !== init && pid !== null && pidAlive(pid);
    }, 15_000);
  });
});

/** Dead: gone, or a zombie nobody has reaped yet. */
function processIsGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return true;
  }
}

describe.skipIf(!HAVE_CONTAINERS)("two users on the same container at once", () => {
  it("one wins, the other gets a clear 409, over REST and over socket.io", async () => {
    const id = await running("race");
    const op = new Client(server.url);
    await admin.json("POST", "/api/v1/users", { username: `op-${tag}`, password: "operator-pw", role: "operator" });
    await op.login(`op-${tag}`, "operator-pw");
    const opSocket = await connectSocket(server.url, { cookie: op.cookie });
    try {
      const [a, b] = await Promise.all([
        admin.json<{ error?: { code: string; message: string } }>("POST", `/api/v1/guests/${id}/actions`, {
          action: "stop",
        }),
        op.json<{ error?: { code: string; message: string } }>("POST", `/api/v1/guests/${id}/actions`, {
          action: "pause",
        }),
      ]);
      expect([a.status, b.status].sort()).toEqual([202, 409]);
      const loser = a.status === 409 ? a : b;
      expect(["CONFLICT", "INVALID_STATE"]).toContain(loser.body.error?.code);
      expect(loser.body.error?.message).toMatch(/busy|cannot|is /);
      await until(
        async () => (await guest(id)).state !== "running" && (await guest(id)).state !== "shutting-down",
        20_000,
      );
      const settled = (await guest(id)).state;
      expect(["stopped", "paused"]).toContain(settled);

      // Now a start from the socket and a delete over REST at the same moment.
      const startFromSocket = new Promise<{ ok: boolean; error?: { code: string } }>((r) =>
        opSocket.emit("guest:action", { id, action: settled === "paused" ? "resume" : "start" }, r),
      );
      const del = admin.json<{ error?: { code: string } }>("DELETE", `/api/v1/guests/${id}`);
      const [s, d] = await Promise.all([startFromSocket, del]);
      const outcomes = [s.ok ? "ok" : s.error!.code, d.status === 202 ? "ok" : d.body.error!.code].sort();
      expect(outcomes[1]).toBe("ok");
      expect(["CONFLICT", "INVALID_STATE", "ok"]).toContain(outcomes[0]);
      await tasksDone(id);
    } finally {
      opSocket.close();
    }
  });
});
