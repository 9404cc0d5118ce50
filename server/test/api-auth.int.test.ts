// Authentication, sessions, CSRF, tokens and roles against a real server and SQLite file.
import { randomBytes, scryptSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../services/passwords";
import { ADMIN_PASSWORD, Client, startTestServer, until, type TestServer } from "./harness";

let server: TestServer;
let admin: Client;

beforeAll(async () => {
  server = await startTestServer();
  admin = new Client(server.url);
  expect((await admin.login()).status).toBe(200);
});
afterAll(() => server?.stop());

async function userWithRole(role: "viewer" | "operator" | "admin") {
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  const created = await admin.json("POST", "/api/v1/users", { username, password: "password-123", role });
  expect(created.status).toBe(201);
  const c = new Client(server.url);
  expect((await c.login(username, "password-123")).status).toBe(200);
  return c;
}

describe("authentication", () => {
  it("leaves only /healthz and the OpenAPI document public", async () => {
    const anon = new Client(server.url);
    expect((await anon.raw("GET", "/healthz")).status).toBe(200);
    expect((await anon.raw("GET", "/api/v1/openapi.json")).status).toBe(200);
    for (const [method, p] of [
      ["GET", "/api/v1/guests"],
      ["GET", "/api/v1/host"],
      ["GET", "/api/v1/images"],
      ["GET", "/api/v1/tasks"],
      ["GET", "/metrics"],
      ["POST", "/api/v1/tokens"],
      ["GET", "/api/v1/guests/local.vm.x/metrics"],
      ["DELETE", "/api/v1/session"],
    ] as const) {
      const res = await anon.raw(method, p, method === "POST" ? { name: "x" } : undefined);
      expect(res.status, `${method} ${p}`).toBe(401);
      expect(await res.json()).toEqual({ error: { code: "UNAUTHENTICATED", message: expect.any(String) } });
    }
  });

  it("sets an HttpOnly SameSite=Lax cookie and returns a CSRF token", async () => {
    const c = new Client(server.url);
    const res = await c.login();
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^tandem_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(c.csrf).toMatch(/^[\w-]{20,}$/);
    const me = await c.json<{ user: { username: string; role: string } }>("GET", "/api/v1/session");
    expect(me.body.user).toMatchObject({ username: "admin", role: "admin" });
  });

  it("refuses a wrong password with 401 and does not say which part was wrong", async () => {
    const c = new Client(server.url);
    const res = await c.login("admin", "not-the-password");
    expect(res.status).toBe(401);
    const unknown = await c.login("nobody", "whatever");
    expect(unknown.status).toBe(401);
    expect((await res.json()).error.message).toBe((await unknown.json()).error.message);
  });

  it("refuses cookie writes without the CSRF token, accepts them with it", async () => {
    const noCsrf = await admin.raw("POST", "/api/v1/tokens", { name: "t" }, { "x-csrf-token": "" });
    expect(noCsrf.status).toBe(403);
    expect((await noCsrf.json()).error.code).toBe("CSRF");
    const wrong = await admin.raw("POST", "/api/v1/tokens", { name: "t" }, { "x-csrf-token": "x".repeat(32) });
    expect(wrong.status).toBe(403);
    const ok = await admin.raw("POST", "/api/v1/tokens", { name: "t" });
    expect(ok.status).toBe(201);
  });

  it("signs out: the old cookie no longer works", async () => {
    const c = new Client(server.url);
    await c.login();
    expect((await c.raw("DELETE", "/api/v1/session")).status).toBe(204);
    expect((await c.raw("GET", "/api/v1/guests")).status).toBe(401);
  });

  it("rate-limits repeated failed logins with 429", async () => {
    const c = new Client(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await c.login("victim", `guess-${i}`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // A delay, not a lock: the answer says how long, in seconds.
    const limited = await c.login("victim", "guess-13");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await limited.json()).error.code).toBe("RATE_LIMITED");
  });

  it("never counts successful sign-ins against the name: a script signing in often is not slowed", async () => {
    await server.services.auth.createUser("often", "often-password", "viewer");
    const statuses: number[] = [];
    // More than the per-name allowance (10), each from a fresh client with no device cookie.
    for (let i = 0; i < 14; i++) statuses.push((await new Client(server.url).login("often", "often-password")).status);
    expect(statuses).toEqual(Array(14).fill(200));
  });

  it("upgrades a password hash made at older scrypt parameters on the next sign-in", async () => {
    const salt = randomBytes(16);
    const key = scryptSync("legacy-password", salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = `scrypt$32768$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
    await server.db.user.create({ data: { id: "legacy-user", username: "legacy", passwordHash: old, role: "viewer" } });
    expect((await new Client(server.url).login("legacy", "legacy-password")).status).toBe(200);
    const row = await until(async () => {
      const u = await server.db.user.findUniqueOrThrow({ where: { id: "legacy-user" } });
      return u.passwordHash !== old ? u : null;
    });
    expect(row.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect((await new Client(server.url).login("legacy", "legacy-password")).status).toBe(200);
  });
});

describe("API tokens", () => {
  it("shows the secret once, stores only its hash, and works without CSRF", async () => {
    const created = await admin.json<{ token: string; info: { id: string; prefix: string } }>(
      "POST",
      "/api/v1/tokens",
      {
        name: "ci",
      },
    );
    expect(created.status).toBe(201);
    const { token, info } = created.body;
    expect(token).toMatch(/^tdm_/);
    const row = await server.db.apiToken.findUniqueOrThrow({ where: { id: info.id } });
    expect(row.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token);
    const list = await admin.json<{ tokens: object[] }>("GET", "/api/v1/tokens");
    expect(JSON.stringify(list.body)).not.toContain(token);

    const bot = new Client(server.url);
    bot.bearer = token;
    expect((await bot.raw("GET", "/api/v1/guests")).status).toBe(200);
    const write = await bot.raw("POST", "/api/v1/tokens", { name: "from-bot" });
    expect(write.status).toBe(201);

    expect((await admin.raw("DELETE", `/api/v1/tokens/${info.id}`)).status).toBe(204);
    expect((await bot.raw("GET", "/api/v1/guests")).status).toBe(401);
  });

  it("rejects malformed and unknown bearer tokens", async () => {
    for (const auth of ["Bearer", "Bearer tdm_nope", "Basic abc", "Bearer " + "a".repeat(5000)]) {
      const res = await fetch(server.url + "/api/v1/guests", { headers: { authorization: auth } });
      expect(res.status, auth.slice(0, 20)).toBe(401);
    }
  });

  it("rejects an expired session", async () => {
    const c = new Client(server.url);
    await c.login();
    await server.db.session.updateMany({ data: { expiresAt: new Date(Date.now() - 1000) }, where: {} });
    expect((await c.raw("GET", "/api/v1/guests")).status).toBe(401);
    await admin.login();
  });
});

describe("roles", () => {
  it("viewer reads but cannot act, create or manage users", async () => {
    const viewer = await userWithRole("viewer");
    expect((await viewer.raw("GET", "/api/v1/guests")).status).toBe(200);
    expect((await viewer.raw("GET", "/api/v1/host")).status).toBe(200);
    const create = await viewer.json("POST", "/api/v1/guests", {
      kind: "vm",
      name: "v1",
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 64,
    });
    expect(create.status).toBe(403);
    expect((await viewer.raw("GET", "/api/v1/users")).status).toBe(403);
    expect((await viewer.raw("POST", "/api/v1/guests/local.vm.x/actions", { action: "start" })).status).toBe(403);
  });

  it("operator creates guests but cannot manage users", async () => {
    const op = await userWithRole("operator");
    const create = await op.json("POST", "/api/v1/guests", {
      kind: "container",
      name: "op-ct",
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
    });
    expect(create.status).toBe(202);
    expect((await op.raw("GET", "/api/v1/users")).status).toBe(403);
    expect((await op.raw("POST", "/api/v1/users", { username: "x", password: "12345678", role: "admin" })).status).toBe(
      403,
    );
  });

  it("admin manages users; passwords are stored as scrypt hashes", async () => {
    const created = await admin.json<{ user: { id: string } }>("POST", "/api/v1/users", {
      username: "carol",
      password: "carol-secret",
      role: "viewer",
    });
    expect(created.status).toBe(201);
    const row = await server.db.user.findUniqueOrThrow({ where: { username: "carol" } });
    expect(row.passwordHash).toMatch(/^scrypt\$/);
    expect(row.passwordHash).not.toContain("carol-secret");
    const dup = await admin.json("POST", "/api/v1/users", {
      username: "carol",
      password: "carol-secret",
      role: "viewer",
    });
    expect(dup.status).toBe(409);
    expect((await admin.raw("DELETE", `/api/v1/users/${created.body.user.id}`)).status).toBe(204);
    expect((await admin.raw("DELETE", `/api/v1/users/${created.body.user.id}`)).status).toBe(404);
  });

  it("the admin password never appears in the database", async () => {
    const rows = await server.db.user.findMany();
    expect(JSON.stringify(rows)).not.toContain(ADMIN_PASSWORD);
  });
});

describe("passwords and roles after creation", () => {
  it("changes one's own password, signing out the other sessions", async () => {
    await admin.json("POST", "/api/v1/users", { username: "erin", password: "erin-old-pw", role: "operator" });
    const phone = new Client(server.url);
    await phone.login("erin", "erin-old-pw");
    const laptop = new Client(server.url);
    await laptop.login("erin", "erin-old-pw");
    const wrong = await laptop.json("POST", "/api/v1/session/password", { current: "nope", next: "erin-new-pw" });
    expect(wrong.status).toBe(403);
    const short = await laptop.json("POST", "/api/v1/session/password", { current: "erin-old-pw", next: "short" });
    expect(short.status).toBe(400);
    const ok = await laptop.raw("POST", "/api/v1/session/password", { current: "erin-old-pw", next: "erin-new-pw" });
    expect(ok.status).toBe(204);
    expect((await laptop.raw("GET", "/api/v1/guests")).status).toBe(200);
    expect((await phone.raw("GET", "/api/v1/guests")).status).toBe(401);
    expect((await new Client(server.url).login("erin", "erin-old-pw")).status).toBe(401);
    expect((await new Client(server.url).login("erin", "erin-new-pw")).status).toBe(200);
  });

  it("lets an admin change a role, but never demote the last admin", async () => {
    const { body } = await admin.json<{ user: { id: string } }>("POST", "/api/v1/users", {
      username: "frank",
      password: "frank-pw-1",
      role: "viewer",
    });
    const up = await admin.json<{ user: { role: string } }>("PATCH", `/api/v1/users/${body.user.id}`, {
      role: "operator",
    });
    expect(up.body.user.role).toBe("operator");
    expect((await admin.json("PATCH", `/api/v1/users/${body.user.id}`, {})).status).toBe(400);
    const me = await admin.json<{ user: { id: string } }>("GET", "/api/v1/session");
    const demote = await admin.json<{ error: { code: string } }>("PATCH", `/api/v1/users/${me.body.user.id}`, {
      role: "viewer",
    });
    expect(demote.status).toBe(409);
  });
});
