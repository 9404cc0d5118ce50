// Attack: read or plant the session cookie on the wire. There was no TLS option, and the cookie
// was never `Secure`, so even behind an HTTPS reverse proxy a browser would send it over plain
// HTTP to the same host (a network attacker's http:// link or redirect), and without HSTS the
// first visit could be downgraded. A forged X-Forwarded-Proto or X-Forwarded-For from a client
// that is not a configured proxy must change nothing.
//
// before the fix: TANDEM_TLS_CERT/KEY were ignored (the server spoke plain HTTP), and through a
// reverse proxy that said `X-Forwarded-Proto: https` the cookie was still `tandem_session`
// without `Secure` and no Strict-Transport-Security was sent. Seen at 86ec50a.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, startTestServer, type TestServer } from "../../harness";
import { httpFrom, setCookies, type FromResponse } from "../http-from";

const HSTS = "max-age=31536000";
let dir: string;
let certPath: string;
let keyPath: string;
let ca: Buffer;
let tls: TestServer;
let plain: TestServer;

beforeAll(async () => {
  // A self-signed certificate made for this run only.
  dir = mkdtempSync(path.join(os.tmpdir(), "tandem-tls-"));
  certPath = path.join(dir, "cert.pem");
  keyPath = path.join(dir, "key.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      keyPath,
      "-out",
      certPath,
    ],
    { stdio: "pipe" },
  );
  ca = readFileSync(certPath);
  tls = await startTestServer({ env: { TANDEM_TLS_CERT: certPath, TANDEM_TLS_KEY: keyPath } });
  // 127.0.0.5 plays a reverse proxy that terminates TLS; every other peer is a plain client.
  plain = await startTestServer({ env: { TANDEM_TRUSTED_PROXIES: "127.0.0.5" } });
});
afterAll(async () => {
  await tls?.stop();
  await plain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const login = (
  base: string,
  opts: { from?: string; headers?: Record<string, string>; username?: string; password?: string } = {},
) =>
  httpFrom(base, {
    path: "/api/v1/session",
    body: { username: opts.username ?? "admin", password: opts.password ?? ADMIN_PASSWORD },
    localAddress: opts.from,
    headers: opts.headers,
    ca,
  });

function expectSecureCookie(res: FromResponse) {
  const cookies = setCookies(res);
  const line = cookies.get("__Host-tandem_session");
  expect(line, [...cookies.keys()].join(",")).toBeDefined();
  expect(cookies.has("tandem_session")).toBe(false);
  expect(line).toMatch(/;\s*Secure/i);
  expect(line).toMatch(/;\s*HttpOnly/i);
  expect(line).toMatch(/;\s*Path=\/(;|$)/i);
  expect(line).not.toMatch(/Domain=/i);
  expect(res.headers["strict-transport-security"]).toBe(HSTS);
}

function expectPlainCookie(res: FromResponse) {
  const cookies = setCookies(res);
  const line = cookies.get("tandem_session");
  expect(line, [...cookies.keys()].join(",")).toBeDefined();
  expect(cookies.has("__Host-tandem_session")).toBe(false);
  expect(line).not.toMatch(/Secure/i);
  expect(res.headers["strict-transport-security"]).toBeUndefined();
}

const cookiePair = (res: FromResponse, name: string) => setCookies(res).get(name)!.split(";")[0]!;

describe("TLS on Tandem's own port", () => {
  it("serves HTTPS when given a certificate: Secure __Host- cookie and HSTS", async () => {
    expect(tls.url).toMatch(/^https:\/\//);
    const res = await login(tls.url);
    expect(res.status).toBe(200);
    expectSecureCookie(res);
    const me = await httpFrom(tls.url, {
      path: "/api/v1/session",
      headers: { cookie: cookiePair(res, "__Host-tandem_session") },
      ca,
    });
    expect(me.status).toBe(200);
    expect(me.headers["strict-transport-security"]).toBe(HSTS);
    const health = await httpFrom(tls.url, { path: "/healthz", ca });
    expect(health.headers["strict-transport-security"]).toBe(HSTS);
  });

  it("takes socket.io over TLS with the __Host- cookie", async () => {
    const res = await login(tls.url);
    const socket = io(tls.url, {
      path: "/socket.io",
      transports: ["websocket"],
      reconnection: false,
      ca: ca.toString(),
      extraHeaders: { cookie: cookiePair(res, "__Host-tandem_session") },
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("connect", () => resolve("connected"));
      socket.once("connect_error", (e) => resolve(`refused: ${e.message}`));
    });
    socket.close();
    expect(outcome).toBe("connected");
  });

  it("does not accept a cookie without the __Host- prefix over TLS", async () => {
    const res = await login(plain.url);
    const planted = cookiePair(res, "tandem_session"); // a valid session id, under the plain name
    const me = await httpFrom(tls.url, { path: "/api/v1/session", headers: { cookie: planted }, ca });
    expect(me.status).toBe(401);
  });
});

describe("plain HTTP and reverse proxies", () => {
  it("plain HTTP does not claim Secure and sends no HSTS", async () => {
    const res = await login(plain.url, { from: "127.0.0.1" });
    expect(res.status).toBe(200);
    expectPlainCookie(res);
  });

  it("a forged X-Forwarded-Proto from a peer that is not a trusted proxy changes nothing", async () => {
    const res = await login(plain.url, { from: "127.0.0.6", headers: { "x-forwarded-proto": "https" } });
    expect(res.status).toBe(200);
    expectPlainCookie(res);
  });

  it("behind a trusted proxy that says https: Secure __Host- cookie and HSTS", async () => {
    const res = await login(plain.url, {
      from: "127.0.0.5",
      headers: { "x-forwarded-proto": "https", "x-forwarded-for": "10.9.0.1" },
    });
    expect(res.status).toBe(200);
    expectSecureCookie(res);
    // Through the proxy the prefixed cookie is the one read.
    const me = await httpFrom(plain.url, {
      path: "/api/v1/session",
      localAddress: "127.0.0.5",
      headers: { cookie: cookiePair(res, "__Host-tandem_session"), "x-forwarded-proto": "https" },
    });
    expect(me.status).toBe(200);
  });

  it("socket.io behind the proxy: the browser's host (X-Forwarded-Host) is the origin checked, for the proxy only", async () => {
    const res = await login(plain.url, { from: "127.0.0.5", headers: { "x-forwarded-proto": "https" } });
    // Both names, each a valid session: whatever refuses the stranger below, it is not the cookie.
    const direct = await login(plain.url, { from: "127.0.0.6" });
    const cookie = `${cookiePair(res, "__Host-tandem_session")}; ${cookiePair(direct, "tandem_session")}`;
    const attempt = (from: string) => {
      const socket = io(plain.url, {
        path: "/socket.io",
        transports: ["websocket"],
        reconnection: false,
        localAddress: from,
        extraHeaders: {
          cookie,
          origin: "https://tandem.example",
          "x-forwarded-host": "tandem.example",
          "x-forwarded-proto": "https",
        },
      } as Parameters<typeof io>[1]);
      return new Promise<string>((resolve) => {
        socket.once("connect", () => resolve("connected"));
        socket.once("connect_error", () => resolve("refused"));
      }).finally(() => socket.close());
    };
    expect(await attempt("127.0.0.5")).toBe("connected");
    // The same headers from a client that is not the proxy: its origin is another site.
    expect(await attempt("127.0.0.6")).toBe("refused");
  });

  /** 24 wrong guesses, each for its own user name and claiming its own X-Forwarded-For. */
  async function spread(from: string, tag: string, subnet: string) {
    const statuses: number[] = [];
    for (let i = 0; i < 24; i++) {
      const r = await login(plain.url, {
        from,
        username: `${tag}-${i}`,
        password: "wrong",
        headers: { "x-forwarded-for": `${subnet}.${i + 1}` },
      });
      statuses.push(r.status);
    }
    return statuses;
  }

  it("the limiter keys on the real client: forged X-Forwarded-For does not spread one client's guesses", async () => {
    const statuses = await spread("127.0.0.7", "xff", "10.8.0");
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
  });

  it("through a trusted proxy, each forwarded client has its own allowance", async () => {
    // The proxy's own address is never the key: 24 different clients, no refusal.
    expect((await spread("127.0.0.5", "fwd", "10.7.0")).every((s) => s === 401)).toBe(true);
  });
});
