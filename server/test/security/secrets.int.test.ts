// Passwords, session cookies, CSRF tokens, API tokens and console tickets never reach the log:
// the server runs with its log at `trace` into a buffer, the test uses every secret on every
// path (REST, socket.io, console input, the VNC proxy, failures included) and then greps.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, Client, connectSocket, until, type TestSocket } from "../harness";
import { credentialHeaders, startCustomServer, startVncStandIn, upgrade, type CustomServer } from "./support";

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(chunk.toString());
    cb();
  },
});
let server: CustomServer;
let vnc: Awaited<ReturnType<typeof startVncStandIn>>;
const secrets = new Map<string, string>();
const sockets: TestSocket[] = [];

beforeAll(async () => {
  vnc = await startVncStandIn();
  server = await startCustomServer({
    log: pino({ level: "trace", base: { svc: "tandem" } }, sink),
    vncPort: () => vnc.port,
  });
});
afterAll(async () => {
  sockets.forEach((s) => s.close());
  await server?.stop();
  await vnc?.close();
});

const keep = (what: string, value: string | null | undefined) => {
  if (!value) throw new Error(`no ${what}`);
  secrets.set(what, value);
  return value;
};

describe("secrets in the log", () => {
  it("uses every secret on every path", async () => {
    keep("admin password", ADMIN_PASSWORD);
    const admin = new Client(server.url);
    expect((await admin.login()).status).toBe(200);
    keep("admin cookie", admin.cookie!.split("=")[1]);
    keep("admin csrf", admin.csrf);

    const wrong = keep("wrong password", "Wr0ng-Pa55word-Zebra!");
    expect((await new Client(server.url).login("admin", wrong)).status).toBe(401);
    expect((await new Client(server.url).login("nobody-here", wrong)).status).toBe(401);

    const userPw = keep("new user's password", "Carol-Secret-Pw-9876");
    expect(
      (await admin.json("POST", "/api/v1/users", { username: "carol", password: userPw, role: "operator" })).status,
    ).toBe(201);
    // A body that fails validation still carries the password.
    expect(
      (await admin.json("POST", "/api/v1/users", { username: "bad name", password: "Bad-User-Pw-1111", role: "x" }))
        .status,
    ).toBe(400);
    keep("rejected user's password", "Bad-User-Pw-1111");
    const carol = new Client(server.url);
    expect((await carol.login("carol", userPw)).status).toBe(200);
    keep("carol cookie", carol.cookie!.split("=")[1]);

    const created = await carol.json<{ token: string; info: { id: string } }>("POST", "/api/v1/tokens", { name: "ci" });
    const token = keep("api token", created.body.token);
    const bot = new Client(server.url);
    bot.bearer = token;
    expect((await bot.raw("GET", "/api/v1/guests")).status).toBe(200);
    expect((await bot.raw("GET", "/api/v1/users")).status).toBe(403);
    const forged = keep("forged token", "tdm_" + "Q".repeat(43));
    expect(
      (await fetch(server.url + "/api/v1/guests", { headers: { authorization: `Bearer ${forged}` } })).status,
    ).toBe(401);
    // A secret where it should never be: a query string (request logs carry the path only).
    expect((await bot.raw("GET", `/api/v1/tasks?targetId=${token}`)).status).toBe(200);
    // Cookie writes with a wrong CSRF token.
    expect((await admin.raw("POST", "/api/v1/tokens", { name: "x" }, { "x-csrf-token": carol.csrf! })).status).toBe(
      403,
    );
    keep("carol csrf", carol.csrf);

    // socket.io with the token and with the cookie; a console that is typed a password.
    const guest = await admin.json<{ guest: { id: string } }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: "secret-vm",
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 64,
    });
    const id = guest.body.guest.id;
    await until(
      async () =>
        (await admin.json<{ guest: { state: string } }>("GET", `/api/v1/guests/${id}`)).body.guest.state === "running",
    );
    const s1 = await connectSocket(server.url, { token });
    const s2 = await connectSocket(server.url, { cookie: carol.cookie });
    sockets.push(s1, s2);
    await expect(connectSocket(server.url, { token: forged })).rejects.toThrow();
    const opened = await new Promise<{ ok: boolean; data?: { consoleId: string } }>((r) =>
      s2.emit("console:open", { guestId: id, cols: 80, rows: 24 }, r),
    );
    expect(opened.ok).toBe(true);
    let echoed = "";
    s2.on("console:data", (p) => (echoed += new TextDecoder().decode(p.data as ArrayBuffer)));
    const typed = keep("typed into a console", "Root-Console-Pw-4242");
    s2.emit("console:input", { consoleId: opened.data!.consoleId, data: `${typed}\r` });
    await until(() => echoed.includes(typed));

    // A VNC ticket, used once right and once wrong.
    const t = await carol.json<{ ticket: string; path: string }>("POST", `/api/v1/guests/${id}/vnc`);
    keep("vnc ticket", t.body.ticket);
    expect((await upgrade(server.url, t.body.path, credentialHeaders(carol))).status).toBe(101);
    expect((await upgrade(server.url, t.body.path, credentialHeaders(carol))).status).toBe(403);

    // Password changes: her own, and an admin's reset of it.
    const changed = keep("changed password", "Carol-Changed-Pw-5555");
    expect((await carol.raw("POST", "/api/v1/session/password", { current: userPw, next: changed })).status).toBe(204);
    expect(
      (
        await carol.raw("POST", "/api/v1/session/password", {
          current: "Wrong-Current-Pw-77",
          next: "Whatever-Pw-8888",
        })
      ).status,
    ).toBe(403);
    keep("wrong current password", "Wrong-Current-Pw-77");
    const carolId = (
      await admin.json<{ users: { id: string; username: string }[] }>("GET", "/api/v1/users")
    ).body.users.find((u) => u.username === "carol")!.id;
    const reset = keep("admin-set password", "Admin-Reset-Pw-6666");
    expect((await admin.raw("PATCH", `/api/v1/users/${carolId}`, { password: reset })).status).toBe(200);
    expect((await carol.login("carol", reset)).status).toBe(200);

    // Sign out and use the old cookie.
    expect((await carol.raw("DELETE", "/api/v1/session")).status).toBe(204);
    expect((await carol.raw("GET", "/api/v1/guests")).status).toBe(401);
  });

  it("finds none of them in the log, which did record the requests", async () => {
    await new Promise((r) => setTimeout(r, 200));
    const log = lines.join("");
    expect(lines.length).toBeGreaterThan(20);
    expect(log).toMatch(/"msg":"request"/);
    expect(log).toMatch(/vnc console opened/);
    for (const [what, value] of secrets) {
      expect(log.includes(value), `${what} appears in the log`).toBe(false);
      // Also not in an encoded form.
      expect(log.includes(encodeURIComponent(value)), `${what} (url-encoded) appears in the log`).toBe(false);
    }
  });

  it("stores no secret in clear in the database either", async () => {
    const dump = JSON.stringify(
      {
        users: await server.db.user.findMany(),
        sessions: await server.db.session.findMany(),
        tokens: await server.db.apiToken.findMany(),
        tasks: await server.db.task.findMany(),
      },
      (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v),
    );
    for (const what of ["admin password", "new user's password", "api token", "admin cookie", "vnc ticket"]) {
      expect(dump.includes(secrets.get(what)!), `${what} stored in clear`).toBe(false);
    }
  });
});
