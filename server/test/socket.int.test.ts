// socket.io: the handshake is authenticated, events are role-checked and validated, acks are
// Results, guest changes are pushed, metrics reach subscribed rooms, consoles stream both ways.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import { Client, connectSocket, startTestServer, until, type TestServer, type TestSocket } from "./harness";

let server: TestServer;
let admin: Client;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startTestServer();
  admin = new Client(server.url);
  await admin.login();
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await server?.stop();
});

async function open(opts: Parameters<typeof connectSocket>[1]) {
  const s = await connectSocket(server.url, opts);
  sockets.push(s);
  return s;
}

const call = <T>(s: TestSocket, event: string, ...args: unknown[]) =>
  new Promise<{ ok: boolean; data?: T; error?: { code: string; message: string } }>((resolve) =>
    (s.emit as (...a: unknown[]) => void)(event, ...args, resolve),
  );

async function runningGuest(): Promise<Guest> {
  const res = await admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
    kind: "vm",
    name: `s-${Math.random().toString(36).slice(2, 8)}`,
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 64,
  });
  expect(res.status).toBe(202);
  return until(async () => {
    const g = await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${res.body.guest.id}`);
    return g.body.guest.state === "running" ? g.body.guest : null;
  });
}

describe("socket handshake", () => {
  it("refuses a connection without a session or token", async () => {
    await expect(connectSocket(server.url)).rejects.toThrow(/UNAUTHENTICATED/);
    await expect(connectSocket(server.url, { cookie: "tandem_session=forged" })).rejects.toThrow(/UNAUTHENTICATED/);
    await expect(connectSocket(server.url, { token: "tdm_forged" })).rejects.toThrow(/UNAUTHENTICATED/);
  });

  it("accepts the session cookie and a bearer token", async () => {
    const s = await open({ cookie: admin.cookie });
    const r = await call<Guest[]>(s, "guests:list");
    expect(r.ok).toBe(true);
    expect(Array.isArray(r.data)).toBe(true);
    const { body } = await admin.json<{ token: string }>("POST", "/api/v1/tokens", { name: "sock" });
    const t = await open({ token: body.token });
    expect((await call(t, "guests:list")).ok).toBe(true);
  });

  it("refuses a cross-site WebSocket upgrade (cookie riding)", async () => {
    const { io } = await import("socket.io-client");
    const s = io(server.url, {
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: { cookie: admin.cookie!, origin: "http://evil.example" },
    });
    const outcome = await new Promise<string>((resolve) => {
      s.once("connect", () => resolve("connected"));
      s.once("connect_error", () => resolve("refused"));
    });
    s.close();
    expect(outcome).toBe("refused");
  });
});

describe("socket events", () => {
  it("validates payloads and answers with ok:false, never crashing", async () => {
    const s = await open({ cookie: admin.cookie });
    for (const bad of [undefined, null, 42, "x", { id: 5 }, { id: "x", action: "explode" }, { __proto__: { a: 1 } }]) {
      const r = await call(s, "guest:action", bad);
      expect(r.ok).toBe(false);
      expect(r.error?.code).toBe("VALIDATION");
    }
    const r = await call(s, "metrics:subscribe", { ids: new Array(5000).fill("x") });
    expect(r).toMatchObject({ ok: false, error: { code: "VALIDATION" } });
    expect((await call(s, "guest:action", { id: "local.vm.nope", action: "start" })).error?.code).toBe("NOT_FOUND");
    expect(s.connected).toBe(true);
  });

  it("enforces roles on events: a viewer cannot act or open consoles", async () => {
    await admin.json("POST", "/api/v1/users", { username: "watcher", password: "watcher-pw", role: "viewer" });
    const viewer = new Client(server.url);
    await viewer.login("watcher", "watcher-pw");
    const s = await open({ cookie: viewer.cookie });
    const g = await runningGuest();
    expect((await call(s, "guests:list")).ok).toBe(true);
    expect((await call(s, "guest:action", { id: g.id, action: "stop" })).error?.code).toBe("FORBIDDEN");
    expect((await call(s, "console:open", { guestId: g.id, cols: 80, rows: 24 })).error?.code).toBe("FORBIDDEN");
    expect((await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${g.id}`)).body.guest.state).toBe("running");
  });

  it("pushes guest changes and task progress to every signed-in socket", async () => {
    const s = await open({ cookie: admin.cookie });
    const upserts: Guest[] = [];
    const tasks: { state: string }[] = [];
    s.on("guest:upsert", (g) => upserts.push(g));
    s.on("task:update", (t) => tasks.push(t));
    const g = await runningGuest();
    await until(() => upserts.some((u) => u.id === g.id && u.state === "running"));
    expect(upserts.find((u) => u.id === g.id)?.state).toBe("creating");
    await until(() => tasks.some((t) => t.state === "succeeded"));
    const r = await call<{ taskId: string }>(s, "guest:action", { id: g.id, action: "pause" });
    expect(r.ok).toBe(true);
    await until(() => upserts.some((u) => u.id === g.id && u.state === "paused"));
  });

  it("sends metric points only to sockets that joined the guest's room", async () => {
    const g = await runningGuest();
    const watcher = await open({ cookie: admin.cookie });
    const bystander = await open({ cookie: admin.cookie });
    const seen: string[] = [];
    const other: string[] = [];
    watcher.on("metrics:point", (p) => seen.push(p.id));
    bystander.on("metrics:point", (p) => other.push(p.id));
    expect((await call(watcher, "metrics:subscribe", { ids: [g.id] })).ok).toBe(true);
    await until(() => seen.length >= 2, 6000);
    expect(new Set(seen)).toEqual(new Set([g.id]));
    expect(other).toEqual([]);
    const overview: Record<string, unknown>[] = [];
    bystander.on("metrics:overview", (p) => overview.push(p.guests));
    const joined = await call<Record<string, { cpuPct: number }[]>>(bystander, "overview:join");
    expect(joined.ok).toBe(true);
    // The ack seeds sparklines with the last minute the sampler already has.
    expect(joined.data![g.id]!.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(joined.data!)).toContain("host:local");
    await until(() => overview.some((o) => g.id in o), 6000);
  });

  it("streams a console both ways and closes it on request", async () => {
    const g = await runningGuest();
    const s = await open({ cookie: admin.cookie });
    let text = "";
    s.on("console:data", (p) => (text += new TextDecoder().decode(p.data as ArrayBuffer)));
    const opened = await call<{ consoleId: string }>(s, "console:open", { guestId: g.id, cols: 80, rows: 24 });
    expect(opened.ok).toBe(true);
    const consoleId = opened.data!.consoleId;
    s.emit("console:input", { consoleId, data: new TextEncoder().encode("echo hi\r") });
    await until(() => text.includes("echo hi"));
    const closed = new Promise((r) => s.once("console:closed", r));
    s.emit("console:close", { consoleId });
    await closed;
    const again = await call(s, "console:resize", { consoleId, cols: 100, rows: 30 });
    expect(again).toMatchObject({ ok: false, error: { code: "NOT_FOUND" } });
  });
});
