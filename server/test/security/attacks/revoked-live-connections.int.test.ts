// Attack: credentials that have been taken away keep working through a connection opened before.
// An operator opens a socket.io connection and an exec shell in a real container (conmon + crun),
// or follows a container's log; then the right is taken away: sign-out, a password change from
// another session, an admin's password reset, demotion to viewer, deletion of the user, token
// revocation, a password change that revokes the token, session expiry. Each time the shell must
// end and further write events must fail (a demoted user keeps the socket as a viewer: reads
// still answer, writes are FORBIDDEN). The test polls for the outcome with a deadline; it does
// not measure the latency (the mechanism is synchronous, the expiry sweep runs every second).
//
// before the fix: every case still acted — after sign-out, reset, deletion or revocation the
// exec shell kept echoing and `guest:action` kept succeeding; the demoted viewer could still
// type into its shell and stop the guest; the log follow kept streaming; an expired session's
// socket stayed connected (each stayed open for the whole 5 s deadline). Seen at 86ec50a.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../../contract/guest";
import type { ContainerDriver } from "../../../drivers/container";
import {
  Client,
  connectSocket,
  removeCgroupParent,
  startTestServer,
  testContainerDriver,
  until,
  type TestServer,
  type TestSocket,
} from "../../harness";

const demoDir = path.resolve(import.meta.dirname, "../../../../data/images/demo");
const DEADLINE_MS = 5_000;
let server: TestServer;
let driver: ContainerDriver | null = null;
let admin: Client;
let guestId = "";
const sockets: TestSocket[] = [];

beforeAll(async () => {
  expect(existsSync(path.join(demoDir, "manifest.json")), "setup builds the demo images first").toBe(true);
  server = await startTestServer({
    // Own names: other test files and a developer's Tandem on this host are never touched.
    driverFactory: (dataDir) => [(driver = testContainerDriver(dataDir, "revoke", "10.231.11.0/24"))],
    containers: true,
    demoImageDir: demoDir,
  });
  admin = new Client(server.url);
  expect((await admin.login()).status).toBe(200);
  const res = await admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
    kind: "container",
    name: "revoke-target",
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    // Prints a line every 200 ms, so a log follow always has something to stream.
    command: ["/bin/sh", "-c", "while :; do echo tick; sleep 0.2; done"],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  guestId = res.body.guest.id;
  await until(
    async () => (await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${guestId}`)).body.guest.state === "running",
    30_000,
  );
}, 120_000);

afterAll(async () => {
  sockets.forEach((s) => s.close());
  if (guestId) {
    await admin.raw("DELETE", `/api/v1/guests/${guestId}?purge=true`).catch(() => {});
    await until(async () => (await admin.raw("GET", `/api/v1/guests/${guestId}`)).status === 404, 20_000).catch(
      () => {},
    );
  }
  await server?.stop();
  await driver?.network.destroy();
  removeCgroupParent("tandem-revoke");
});

type Ack = { ok: boolean; data?: unknown; error?: { code: string } };

/** Emits with an ack; a socket that is gone (or never answers) counts as a refusal. */
function call(s: TestSocket, event: string, payload?: unknown): Promise<Ack> {
  if (!s.connected) return Promise.resolve({ ok: false, error: { code: "DISCONNECTED" } });
  return new Promise((resolve) => {
    const args = payload === undefined ? [] : [payload];
    (s.timeout(3000).emit as (...a: unknown[]) => void)(event, ...args, (err: Error | null, r: Ack) =>
      resolve(err ? { ok: false, error: { code: "NO_ACK" } } : r),
    );
  });
}

let seq = 0;
async function makeOperator() {
  const username = `rev-op-${++seq}`;
  const password = `rev-password-${seq}`;
  const created = await admin.json<{ user: { id: string } }>("POST", "/api/v1/users", {
    username,
    password,
    role: "operator",
  });
  expect(created.status).toBe(201);
  const client = new Client(server.url);
  expect((await client.login(username, password)).status).toBe(200);
  return { id: created.body.user.id, username, password, client };
}

/** An exec shell in the container over a fresh socket, proven to echo. */
async function openShell(creds: { cookie?: string | null; token?: string }) {
  const socket = await connectSocket(server.url, creds);
  sockets.push(socket);
  let text = "";
  let closed = false;
  socket.on("console:data", (p) => (text += new TextDecoder().decode(p.data as ArrayBuffer)));
  socket.on("console:closed", () => (closed = true));
  const opened = await call(socket, "console:open", { guestId, cols: 80, rows: 24, mode: "exec" });
  expect(opened.ok, JSON.stringify(opened)).toBe(true);
  const consoleId = (opened.data as { consoleId: string }).consoleId;
  const marker = `alive-${++seq}`;
  expect((await call(socket, "console:input", { consoleId, data: `echo ${marker}-$((6*7))\r` })).ok).toBe(true);
  await until(() => text.includes(`${marker}-42`), 10_000);
  // A command left running in the shell's foreground: the host's process table shows whether
  // the shell's processes outlive the revocation.
  const sleeper = `sleep ${987_000 + seq}`;
  expect((await call(socket, "console:input", { consoleId, data: `${sleeper}\r` })).ok).toBe(true);
  await until(() => running(sleeper), 10_000);
  return {
    socket,
    consoleId,
    sleeper,
    /** The shell is over: the server said so, or dropped the whole connection. */
    ended: () => closed || !socket.connected,
  };
}

/** Whether a process with exactly this command line runs on the host (containers included). */
function running(cmdline: string): boolean {
  try {
    execFileSync("pgrep", ["-x", "-f", cmdline], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** After a revocation: the shell ends, its processes with it, and no write gets through any more. */
async function expectCut(shell: Awaited<ReturnType<typeof openShell>>) {
  await until(() => shell.ended(), DEADLINE_MS, 20);
  await until(() => !running(shell.sleeper), DEADLINE_MS, 50);
  const input = await call(shell.socket, "console:input", { consoleId: shell.consoleId, data: "echo still-here\r" });
  expect(input.ok).toBe(false);
  const action = await call(shell.socket, "guest:action", { id: guestId, action: "pause" });
  expect(action.ok).toBe(false);
  const reopen = await call(shell.socket, "console:open", { guestId, cols: 80, rows: 24, mode: "exec" });
  expect(reopen.ok).toBe(false);
}

/** The old credentials cannot open a new connection either. */
async function expectNoReconnect(creds: { cookie?: string | null; token?: string }) {
  await expect(connectSocket(server.url, creds)).rejects.toThrow(/UNAUTHENTICATED/);
}

describe("a revoked principal loses its live connections", () => {
  it("sign-out ends the session's socket and its exec shell", async () => {
    const op = await makeOperator();
    const shell = await openShell({ cookie: op.client.cookie });
    expect((await op.client.raw("DELETE", "/api/v1/session")).status).toBe(204);
    await expectCut(shell);
    await expectNoReconnect({ cookie: op.client.cookie });
  });

  it("a password change from another session ends this session's shell", async () => {
    const op = await makeOperator();
    const shell = await openShell({ cookie: op.client.cookie });
    const other = new Client(server.url);
    expect((await other.login(op.username, op.password)).status).toBe(200);
    const changed = await other.raw("POST", "/api/v1/session/password", { current: op.password, next: "changed-pw-1" });
    expect(changed.status).toBe(204);
    await expectCut(shell);
    await expectNoReconnect({ cookie: op.client.cookie });
  });

  it("an admin's password reset ends the user's shells", async () => {
    const op = await makeOperator();
    const shell = await openShell({ cookie: op.client.cookie });
    expect((await admin.json("PATCH", `/api/v1/users/${op.id}`, { password: "reset-by-admin-1" })).status).toBe(200);
    await expectCut(shell);
  });

  it("deleting the user ends the user's shells", async () => {
    const op = await makeOperator();
    const shell = await openShell({ cookie: op.client.cookie });
    expect((await admin.raw("DELETE", `/api/v1/users/${op.id}`)).status).toBe(204);
    await expectCut(shell);
    await expectNoReconnect({ cookie: op.client.cookie });
  });

  it("revoking a token ends the sockets opened with it", async () => {
    const op = await makeOperator();
    const t = await op.client.json<{ token: string; info: { id: string } }>("POST", "/api/v1/tokens", { name: "sh" });
    expect(t.status).toBe(201);
    const shell = await openShell({ token: t.body.token });
    expect((await op.client.raw("DELETE", `/api/v1/tokens/${t.body.info.id}`)).status).toBe(204);
    await expectCut(shell);
    await expectNoReconnect({ token: t.body.token });
  });

  it("an admin revoking someone's token ends that token's sockets", async () => {
    const op = await makeOperator();
    const t = await op.client.json<{ token: string; info: { id: string } }>("POST", "/api/v1/tokens", { name: "sh" });
    const shell = await openShell({ token: t.body.token });
    expect((await admin.raw("DELETE", `/api/v1/tokens/${t.body.info.id}`)).status).toBe(204);
    await expectCut(shell);
  });

  it("a password change revokes the user's tokens, and their sockets end", async () => {
    const op = await makeOperator();
    const t = await op.client.json<{ token: string }>("POST", "/api/v1/tokens", { name: "sh" });
    const shell = await openShell({ token: t.body.token });
    const changed = await op.client.raw("POST", "/api/v1/session/password", {
      current: op.password,
      next: "changed-pw-2",
    });
    expect(changed.status).toBe(204);
    await expectCut(shell);
    await expectNoReconnect({ token: t.body.token });
  });

  it("demotion to viewer keeps the socket but ends the shell and refuses writes", async () => {
    const op = await makeOperator();
    const shell = await openShell({ cookie: op.client.cookie });
    const demoted = await admin.json("PATCH", `/api/v1/users/${op.id}`, { role: "viewer" });
    expect(demoted.status).toBe(200);
    await until(() => shell.ended(), DEADLINE_MS, 20);
    await until(() => !running(shell.sleeper), DEADLINE_MS, 50);
    expect(shell.socket.connected).toBe(true);
    expect((await call(shell.socket, "guests:list")).ok).toBe(true);
    const input = await call(shell.socket, "console:input", { consoleId: shell.consoleId, data: "echo x\r" });
    expect(input.ok).toBe(false);
    const action = await call(shell.socket, "guest:action", { id: guestId, action: "pause" });
    expect(action.error?.code).toBe("FORBIDDEN");
    const reopen = await call(shell.socket, "console:open", { guestId, cols: 80, rows: 24, mode: "exec" });
    expect(reopen.error?.code).toBe("FORBIDDEN");
  });

  it("sign-out ends a log follow", async () => {
    const op = await makeOperator();
    const res = await fetch(`${server.url}/api/v1/guests/${guestId}/logs?follow=true&tail=1`, {
      headers: { cookie: op.client.cookie! },
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    expect((await op.client.raw("DELETE", "/api/v1/session")).status).toBe(204);
    // Read until the server ends the stream; a follow that keeps going times out here.
    let ended = false;
    const drain = (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        // a reset connection is an end too
      }
      ended = true;
    })();
    await until(() => ended, DEADLINE_MS, 20).finally(() => void reader.cancel().catch(() => {}));
    await drain;
  });
});

describe("an expired session loses its socket", () => {
  it("the socket of a session that reaches its expiry is dropped", async () => {
    // Its own server whose sessions live four seconds (fake drivers: only the socket matters).
    const short = await startTestServer({ env: { TANDEM_SESSION_TTL_HOURS: String(4 / 3600) } });
    try {
      const c = new Client(short.url);
      expect((await c.login()).status).toBe(200);
      const socket = await connectSocket(short.url, { cookie: c.cookie });
      sockets.push(socket);
      expect((await call(socket, "guests:list")).ok).toBe(true);
      await until(() => !socket.connected, 4_000 + DEADLINE_MS, 50);
      expect((await call(socket, "guests:list")).ok).toBe(false);
      await expect(connectSocket(short.url, { cookie: c.cookie })).rejects.toThrow(/UNAUTHENTICATED/);
    } finally {
      await short.stop();
    }
  });
});
