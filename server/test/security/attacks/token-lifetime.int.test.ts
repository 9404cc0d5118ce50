// Attack: keep using an API token after the password that guarded it was changed. A user who
// suspects a leak changes their password (or an admin resets it), but a token made with the old
// credentials kept working, and tokens made without an expiry never expired.
//
// before the fix: after a password change and after an admin's reset the user's tokens still
// answered 200, and a token created without `expiresInDays` had `expiresAt: null`. Seen at 86ec50a.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, startTestServer, type TestServer } from "../../harness";

let server: TestServer;
let admin: Client;
beforeAll(async () => {
  server = await startTestServer({ env: { TANDEM_TOKEN_TTL_DAYS: "30" } });
  admin = new Client(server.url);
  expect((await admin.login()).status).toBe(200);
});
afterAll(() => server?.stop());

let seq = 0;
async function userWithToken() {
  const username = `tok-${++seq}`;
  const password = `tok-password-${seq}`;
  const u = await admin.json<{ user: { id: string } }>("POST", "/api/v1/users", {
    username,
    password,
    role: "operator",
  });
  expect(u.status).toBe(201);
  const c = new Client(server.url);
  expect((await c.login(username, password)).status).toBe(200);
  const t = await c.json<{ token: string; info: { id: string; expiresAt: string | null } }>("POST", "/api/v1/tokens", {
    name: "script",
  });
  expect(t.status).toBe(201);
  const bot = new Client(server.url);
  bot.bearer = t.body.token;
  expect((await bot.raw("GET", "/api/v1/guests")).status).toBe(200);
  return { id: u.body.user.id, password, client: c, bot, info: t.body.info };
}

const DAY = 86_400_000;

describe("API tokens after a password change", () => {
  it("a password change revokes the user's tokens", async () => {
    const u = await userWithToken();
    const r = await u.client.raw("POST", "/api/v1/session/password", { current: u.password, next: "a-new-password" });
    expect(r.status).toBe(204);
    expect((await u.bot.raw("GET", "/api/v1/guests")).status).toBe(401);
    expect((await u.client.json<{ tokens: unknown[] }>("GET", "/api/v1/tokens")).body.tokens).toEqual([]);
  });

  it("an admin's password reset revokes the user's tokens", async () => {
    const u = await userWithToken();
    expect((await admin.json("PATCH", `/api/v1/users/${u.id}`, { password: "reset-password" })).status).toBe(200);
    expect((await u.bot.raw("GET", "/api/v1/guests")).status).toBe(401);
  });

  it("a role change alone leaves the tokens working", async () => {
    const u = await userWithToken();
    expect((await admin.json("PATCH", `/api/v1/users/${u.id}`, { role: "viewer" })).status).toBe(200);
    expect((await u.bot.raw("GET", "/api/v1/guests")).status).toBe(200);
  });
});

describe("API token lifetime", () => {
  it("a token made without a lifetime expires after the configured default (30 days here)", async () => {
    const u = await userWithToken();
    expect(u.info.expiresAt).not.toBeNull();
    const left = Date.parse(u.info.expiresAt!) - Date.now();
    expect(left).toBeGreaterThan(29.9 * DAY);
    expect(left).toBeLessThanOrEqual(30 * DAY);
    const listed = await u.client.json<{ tokens: { id: string; expiresAt: string }[] }>("GET", "/api/v1/tokens");
    expect(listed.body.tokens.find((t) => t.id === u.info.id)?.expiresAt).toBe(u.info.expiresAt);
  });

  it("takes a lifetime in days within limits", async () => {
    const ok = await admin.json<{ info: { expiresAt: string } }>("POST", "/api/v1/tokens", {
      name: "week",
      expiresInDays: 7,
    });
    expect(ok.status).toBe(201);
    expect(Date.parse(ok.body.info.expiresAt) - Date.now()).toBeGreaterThan(6.9 * DAY);
    for (const bad of [0, -1, 1.5, 3651, "7"]) {
      const r = await admin.json("POST", "/api/v1/tokens", { name: "bad", expiresInDays: bad });
      expect(r.status, String(bad)).toBe(400);
    }
  });

  it("an expired token gets 401", async () => {
    const u = await userWithToken();
    await server.db.apiToken.update({ where: { id: u.info.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await u.bot.raw("GET", "/api/v1/guests");
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("UNAUTHENTICATED");
  });
});
