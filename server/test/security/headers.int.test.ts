// Security headers on every kind of answer: REST successes and failures, Prometheus text, the
// sign-in redirect, pages — against the real production build of the pages when `.next` exists
// (the built app is served through the same page handler as server/main.ts uses).
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PageHandler } from "../../app-server";
import { API_SECURITY_HEADERS, pageSecurityHeaders } from "../../http/security-headers";
import { backend } from "../backends";
import { Client } from "../harness";
import { startCustomServer, type CustomServer } from "./support";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const HAVE_BUILD = backend("the Next.js build (next build)", existsSync(path.join(ROOT, ".next", "BUILD_ID")));

function expectHeaders(res: Response, want: Record<string, string>, label: string) {
  for (const [name, value] of Object.entries(want)) {
    expect(res.headers.get(name), `${name} on ${label}`).toBe(value);
  }
}

describe("REST responses", () => {
  let server: CustomServer;
  let admin: Client;
  beforeAll(async () => {
    server = await startCustomServer();
    admin = new Client(server.url);
    await admin.login();
  });
  afterAll(() => server?.stop());

  it("carry the API headers on successes, refusals and errors alike", async () => {
    const anon = new Client(server.url);
    const cases: [string, Promise<Response>][] = [
      ["healthz", anon.raw("GET", "/healthz")],
      ["401", anon.raw("GET", "/api/v1/guests")],
      ["200 list", admin.raw("GET", "/api/v1/guests")],
      ["404 route", admin.raw("GET", "/api/v1/no-such-thing")],
      ["400 JSON", admin.raw("POST", "/api/v1/guests", "{nope")],
      ["403 CSRF", admin.raw("POST", "/api/v1/tokens", { name: "x" }, { "x-csrf-token": "" })],
      ["413", admin.raw("POST", "/api/v1/tokens", JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }))],
      ["prometheus", admin.raw("GET", "/metrics")],
      ["openapi", anon.raw("GET", "/api/v1/openapi.json")],
    ];
    for (const [label, p] of cases) {
      const res = await p;
      await res.arrayBuffer();
      expectHeaders(res, API_SECURITY_HEADERS, label);
      expect(res.headers.get("cache-control"), label).toBe("no-store");
    }
  });

  it("page paths without the UI answer 404 with the page headers", async () => {
    const res = await fetch(server.url + "/guests");
    expect(res.status).toBe(404);
    expectHeaders(res, pageSecurityHeaders(false), "no-UI 404");
  });
});

describe("pages (stub handler)", () => {
  let server: CustomServer;
  const stub: PageHandler = {
    handle: async (_req, res) => {
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>page</p>");
    },
    close: async () => {},
  };
  beforeAll(async () => {
    server = await startCustomServer({ pages: stub });
  });
  afterAll(() => server?.stop());

  it("sets them on the sign-in redirect and on the page", async () => {
    const redirect = await fetch(server.url + "/guests/x", { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/login?next=%2Fguests%2Fx");
    expectHeaders(redirect, pageSecurityHeaders(false), "redirect");
    const login = await fetch(server.url + "/login");
    expect(login.status).toBe(200);
    expectHeaders(login, pageSecurityHeaders(false), "login");
    const csp = login.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-eval");
  });
});

describe.skipIf(!HAVE_BUILD)("pages (the real Next.js production build)", () => {
  let server: CustomServer;
  let pages: PageHandler;
  beforeAll(async () => {
    const { default: next } = await import("next");
    const app = next({ dev: false, dir: ROOT, hostname: "127.0.0.1", port: 0 });
    await app.prepare();
    const handle = app.getRequestHandler();
    pages = { handle: (req, res) => handle(req, res), close: () => app.close() };
    server = await startCustomServer({ pages, env: { TANDEM_UI: "on" } });
  }, 120_000);
  afterAll(() => server?.stop());

  it("serves the sign-in page, its assets and the dashboard with the headers, and still works", async () => {
    const login = await fetch(server.url + "/login");
    expect(login.status).toBe(200);
    const html = await login.text();
    expect(html).toMatch(/<html/i);
    expectHeaders(login, pageSecurityHeaders(false), "login page");
    // Every script the page loads is same-origin, so script-src 'self' lets it run.
    const scripts = [...html.matchAll(/<script[^>]+src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect(src.startsWith("/"), src).toBe(true);
    const asset = await fetch(server.url + scripts[0]!);
    expect(asset.status).toBe(200);
    expectHeaders(asset, { "X-Content-Type-Options": "nosniff" }, "static asset");

    const redirect = await fetch(server.url + "/", { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expectHeaders(redirect, pageSecurityHeaders(false), "redirect");

    const admin = new Client(server.url);
    await admin.login();
    const home = await fetch(server.url + "/", { headers: { cookie: admin.cookie! } });
    expect(home.status).toBe(200);
    expect(await home.text()).toMatch(/<html/i);
    expectHeaders(home, pageSecurityHeaders(false), "dashboard");
  });
});
