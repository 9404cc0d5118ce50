// Hostile input at scale: ≥10,000 seeded random or mutated requests spread over every REST
// route (bodies, path parameters, query strings, content types, methods, credentials), then
// thousands of random socket.io events and raw malformed socket.io packets. The answers must be
// 4xx (or a 2xx for the odd valid mutation) with a JSON error body — never a 5xx, never an
// INTERNAL ack, never a crash — the server must still be healthy afterwards and
// Object.prototype untouched. Reproduce one case with FUZZ_SEED=<seed> FUZZ_ONLY=<index>.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventRoles } from "../../contract/events";
import type { AnyRoute } from "../../http/route";
import { isWellFormed } from "../../transport-shared/unicode";
import { Client, connectSocket, type TestSocket } from "../harness";
import {
  POLLUTION_KEYS,
  caseRng,
  deepJson,
  mutate,
  randomObject,
  randomString,
  randomValue,
  toJson,
  type Rng,
} from "./fuzz-gen";
import { makePrincipals, startCustomServer, type CustomServer, type Principals } from "./support";

const SEED = Number(process.env.FUZZ_SEED ?? 20_241_127);
const REST_CASES = Number(process.env.FUZZ_REST_CASES ?? 10_000);
const SOCKET_CASES = Number(process.env.FUZZ_SOCKET_CASES ?? 3_000);
const RAW_PACKETS = Number(process.env.FUZZ_RAW_PACKETS ?? 300);
const ONLY = process.env.FUZZ_ONLY === undefined ? null : Number(process.env.FUZZ_ONLY);
const CONCURRENCY = 16;
const UPLOAD_LIMIT = 128 * 1024;

let server: CustomServer;
let who: Principals;
let guestIds: string[] = [];
let networkIds: string[] = [];
let volumeIds: string[] = [];
let nicIds: string[] = [];
const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const stats = {
  rest: new Map<number, number>(),
  retried: 0,
  socketAcks: 0,
  socketNoAck: 0,
  socketOversized: 0,
  raw: 0,
};
/** socket.io's maxHttpBufferSize on the server, less a margin for the packet's framing. */
const MAX_SOCKET_PACKET = 1e6 - 1024;

/** Roughly what a packet weighs on the wire: its JSON plus its binary attachments. */
function packetBytes(event: string, args: unknown[]): number {
  let binary = 0;
  const json = JSON.stringify([event, ...args], (_k, v: unknown) => {
    if (v instanceof Uint8Array || v instanceof ArrayBuffer) {
      binary = Math.max(binary, v.byteLength);
      return { _placeholder: true, num: 0 };
    }
    return v;
  });
  return Buffer.byteLength(json) + binary;
}

beforeAll(async () => {
  server = await startCustomServer({ containers: true, env: { TANDEM_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT) } });
  who = await makePrincipals(server, "fz");
  await refreshGuests();
});
afterAll(() => server?.stop());

async function refreshGuests() {
  const actor = { userId: who.users.admin.id, username: who.users.admin.username };
  const list = await server.services.guests.list();
  for (let i = list.length; i < 12; i++) {
    await server.services.guests.create(actor, {
      kind: i % 2 ? "vm" : "container",
      name: `fz-pool-${Date.now()}-${i}`,
      image: i % 2 ? "demo-vm" : "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
    });
  }
  guestIds = (await server.services.guests.list()).map((g) => g.id);
  // A VM disk or two, so the disk routes are reached with real volume ids.
  for (const g of (await server.services.guests.list()).filter((x) => x.kind === "vm").slice(0, 2)) {
    if ((await server.services.storage.listVolumes()).length >= 2) break;
    if (g.state !== "running" && g.state !== "stopped") continue;
    const { taskId } = await server.services.disks.add(actor, g.id, { sizeGiB: 1 }).catch(() => ({ taskId: "" }));
    if (taskId) await server.services.tasks.waitFor(taskId, 5000).catch(() => undefined);
  }
  networkIds = (await server.services.networks.list()).map((n) => n.id);
  volumeIds = (await server.services.storage.listVolumes()).map((v) => v.id);
  // A NIC or two, so the NIC routes are reached with real NIC ids.
  for (const id of guestIds.slice(0, 2)) {
    if (networkIds.length && !(await server.services.nics.list(id).catch(() => [])).length) {
      await server.services.nics.add(id, { network: networkIds[0]! }).catch(() => undefined);
    }
  }
  nicIds = (await Promise.all(guestIds.map((id) => server.services.nics.list(id).catch(() => [])))).flatMap((l) =>
    l.map((n) => n.id),
  );
}

async function signIn(role: "viewer" | "operator" | "admin"): Promise<string> {
  const c = new Client(server.url);
  expect((await c.login(who.users[role].username, who.users[role].password)).status).toBe(200);
  return c.cookie!;
}

/** Valid shapes to mutate from, per route. */
const validBodies: Record<string, Record<string, unknown>[]> = {
  "POST /api/v1/session": [{ username: "fuzz-nobody", password: "not-the-password" }],
  "POST /api/v1/tokens": [{ name: "fz", expiresInDays: 5 }],
  "POST /api/v1/users": [{ username: "fz-user", password: "password-123", role: "viewer" }],
  "POST /api/v1/guests": [
    {
      kind: "container",
      name: "fz-ct",
      image: "demo-busybox",
      vcpus: 0.5,
      memoryMiB: 64,
      tags: ["a"],
      env: ["A=1"],
      command: ["sh", "-c", "true"],
      ports: [{ hostPort: 18080, guestPort: 80, protocol: "tcp" }],
      restartPolicy: "on-failure",
      pidsLimit: 64,
      workingDir: "/",
    },
    {
      kind: "vm",
      name: "fz-vm",
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 128,
      diskGiB: 2,
      network: "user",
      start: false,
      cloudInit: { hostname: "h", user: "u", password: "p", sshKeys: ["ssh-ed25519 AAAA"] },
      disks: [{ sizeGiB: 1 }, { sizeGiB: 2, pool: "spare" }],
    },
    {
      kind: "container",
      name: "fz-vols",
      image: "demo-busybox",
      vcpus: 0.5,
      memoryMiB: 64,
      volumes: [{ volume: "fz-vol", path: "/vol", readOnly: true }],
      binds: [{ hostPath: "/srv/shared", path: "/shared" }],
    },
  ],
  "PATCH /api/v1/guests/:id": [{ tags: ["x", "y"], notes: "n" }],
  "POST /api/v1/guests/:id/actions": [{ action: "pause" }, { action: "stop" }, { action: "start" }],
  "POST /api/v1/guests/:id/snapshots": [{ name: "s1", description: "d" }],
  "POST /api/v1/networks": [
    {
      name: "fz-net",
      type: "nat",
      ipv4: { subnet: "10.253.0.0/24", gateway: "10.253.0.1", dhcp: { start: "10.253.0.10", end: "10.253.0.99" } },
      ipv6: { subnet: "fd00:253::/64", gateway: "fd00:253::1" },
      dnsForwarders: ["192.0.2.53"],
      dnsNames: true,
    },
    { name: "fz-vlan", type: "vlan", ipv4: null, vlan: { id: 42, parent: "lo" } },
    { name: "fz-br", type: "bridged", uplink: "lo" },
  ],
  "POST /api/v1/guests/:id/disks": [{ sizeGiB: 1 }, { sizeGiB: 2, pool: "spare" }, { volume: "fz-vol" }],
  "POST /api/v1/guests/:id/disks/:volumeId/resize": [{ sizeGiB: 4 }],
  "POST /api/v1/guests/:id/disks/:volumeId/move": [{ pool: "spare" }],
  "POST /api/v1/guests/:id/forwards": [
    { hostPort: 20001, guestPort: 80, protocol: "tcp", nic: 0 },
    { hostPort: 20002, guestPort: 53, protocol: "udp", nic: "fz-nic" },
  ],
  "PUT /api/v1/guests/:id/firewall": [
    {
      rules: [
        { action: "allow", protocol: "tcp", ports: { start: 22, end: 22 }, source: "198.51.100.0/24" },
        { action: "deny", protocol: "icmp", source: "fd00::/8" },
        { action: "deny", protocol: "any" },
      ],
    },
  ],
  "POST /api/v1/guests/:id/nics": [{ network: "default" }, { network: "default", address: "10.88.0.77" }],
  "POST /api/v1/volumes": [
    { name: "fz-vol", sizeGiB: 1 },
    { name: "fz-disk", sizeGiB: 2, pool: "spare", use: "disk" },
  ],
  "POST /api/v1/guests/:id/volumes": [
    { volume: "fz-vol", path: "/data" },
    { volume: "fz-vol", path: "/srv/ro", readOnly: true },
  ],
  "PATCH /api/v1/networks/:id": [
    { ipv4: { subnet: "10.253.1.0/24", gateway: "10.253.1.1", dhcp: null }, dnsNames: false },
    { dnsForwarders: ["192.0.2.1"] },
  ],
};

const QUERY_KEYS = ["range", "limit", "targetId", "purge", "follow", "tail", "name", "kind", "format"];
const QUERY_VALUES = [
  "15m",
  "7d",
  "forever",
  "true",
  "false",
  "1",
  "0",
  "-1",
  "500",
  "501",
  "vm",
  "container",
  "raw",
  "oci",
  "docker-archive",
  "qcow2",
];
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

interface Case {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  label: string;
}

/** encodeURIComponent that never throws (lone surrogates become U+FFFD, as a browser would send). */
function enc(s: string): string {
  if (isWellFormed(s)) return encodeURIComponent(s);
  let out = "";
  for (const ch of s) out += ch.length === 1 && /[\uD800-\uDFFF]/.test(ch) ? "\uFFFD" : ch;
  return encodeURIComponent(out);
}

function pathParam(r: Rng, name: string, routePath: string): string {
  // Real ids of the route's own kind, so that the handler itself is reached.
  const ids = routePath.startsWith("/api/v1/networks") ? networkIds : guestIds;
  if (name === "id" && r.chance(0.4) && ids.length) return enc(r.pick(ids));
  if (name === "name" && r.chance(0.3)) return "s1";
  if (name === "volumeId" && r.chance(0.4) && volumeIds.length) return enc(r.pick(volumeIds));
  if (name === "nicId" && r.chance(0.4) && nicIds.length) return enc(r.pick(nicIds));
  const s = randomString(r).slice(0, r.chance(0.9) ? 300 : 5000);
  // Mostly encoded; sometimes raw (fetch normalises what it must), sometimes broken escapes.
  if (r.chance(0.8)) return enc(s) || "x";
  return r.pick(["%", "%zz", "%c0%af", "%ff%fe", "..%2f", "%2e%2e", "a%00b", s.replace(/[/?#]/g, "") || "y"]);
}

function query(r: Rng): string {
  const parts: string[] = [];
  const n = r.int(0, 4);
  for (let i = 0; i < n; i++) {
    const key = r.chance(0.75)
      ? r.pick(QUERY_KEYS)
      : r.pick([
          ...POLLUTION_KEYS,
          "constructor[prototype][x]",
          "__proto__[polluted]",
          "a[]",
          randomString(r).slice(0, 20),
        ]);
    const val = r.chance(0.5) ? r.pick(QUERY_VALUES) : randomString(r).slice(0, r.chance(0.95) ? 100 : 20_000);
    parts.push(`${enc(key)}=${enc(val)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

function body(r: Rng, key: string): { text?: string | Uint8Array; type?: string } {
  const valid = validBodies[key];
  const json = "application/json";
  switch (r.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      return { text: toJson(mutate(r, valid ? r.pick(valid) : randomObject(r))), type: json };
    case 3:
      return { text: toJson(randomValue(r)), type: json };
    case 4:
      return { text: deepJson(r, r.pick([100, 1000, 10_000, 100_000])), type: json };
    case 5:
      // Not quite JSON.
      return {
        text: r.pick([
          "",
          "{",
          '{"a":',
          "NaN",
          "Infinity",
          '{"vcpus": NaN}',
          '{"vcpus": 1e999}',
          '{"a":1,"a":2}',
          "\ufeff{}",
          "[1,]",
          "{'single':1}",
          '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
          "null",
          "true",
          '"string"',
          "\u0000",
        ]),
        type: json,
      };
    case 6:
      // Wrong or odd content types.
      return {
        text: toJson(valid ? r.pick(valid) : randomObject(r)),
        type: r.pick([
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/json; charset=utf-16",
          "APPLICATION/JSON",
          "",
          "application/jsonx",
        ]),
      };
    case 7: {
      const bytes = new Uint8Array(r.pick([0, 1, 512, 70_000]));
      for (let i = 0; i < bytes.length; i++) bytes[i] = r.int(0, 255);
      return { text: bytes, type: r.pick([json, "application/octet-stream"]) };
    }
    case 8:
      // Over the 1 MiB JSON limit.
      return { text: `{"name":"${"x".repeat(r.pick([1_100_000, 3_000_000]))}"}`, type: json };
    default:
      return { text: toJson(valid ? r.pick(valid) : {}), type: json };
  }
}

function credentials(r: Rng, method: string, key: string): { headers: Record<string, string>; label: string } {
  const roll = r.next();
  if (roll < 0.08) return { headers: {}, label: "anon" };
  if (roll < 0.12)
    return {
      headers: {
        authorization: r
          .pick(["Bearer", "Bearer tdm_x", "Basic YTpi", "Bearer " + randomString(r)])
          .replace(/[^\t\x20-\x7e]/g, "?"),
      },
      label: "bad-auth",
    };
  if (roll < 0.2) return { headers: { authorization: `Bearer ${who.tokens.viewer.bearer}` }, label: "viewer" };
  // The operator's cookie session, with or without a CSRF token; never used to sign out.
  if (roll < 0.35 && key !== "DELETE /api/v1/session") {
    const csrf = r.chance(0.85) ? who.operator.csrf! : randomString(r).replace(/[^\x20-\x7e]/g, "");
    return {
      headers: { cookie: who.operator.cookie!, "x-csrf-token": method === "GET" ? "" : csrf },
      label: "operator-cookie",
    };
  }
  return { headers: { authorization: `Bearer ${who.tokens.admin.bearer}` }, label: "admin" };
}

function makeCase(routes: readonly AnyRoute[], index: number): Case {
  const r = caseRng(SEED, index);
  const route = routes[index % routes.length]!;
  const key = `${route.method.toUpperCase()} ${route.path}`;
  const method = r.chance(0.05) ? r.pick(METHODS) : route.method.toUpperCase();
  const path = route.path.replace(/:(\w+)/g, (_m, name: string) => pathParam(r, name, route.path));
  const url = path + query(r);
  const { headers, label } = credentials(r, method, key);
  const c: Case = { method, url, headers: { ...headers }, label: `#${index} ${label} ${method} ${url.slice(0, 120)}` };
  if (method !== "GET" && method !== "OPTIONS" && (route.body || route.rawBody || r.chance(0.3))) {
    if (route.rawBody && r.chance(0.7)) {
      const bytes = new Uint8Array(r.pick([0, 1, 4096, UPLOAD_LIMIT + 1, 300_000]));
      for (let i = 0; i < bytes.length; i += 97) bytes[i] = r.int(0, 255);
      c.body = bytes;
      c.headers["content-type"] = r.pick(["application/octet-stream", "application/json", "text/plain"]);
    } else {
      const b = body(r, key);
      c.body = b.text;
      if (b.type !== undefined && b.type !== "") c.headers["content-type"] = b.type;
    }
    c.label += ` body=${typeof c.body === "string" ? JSON.stringify(c.body.slice(0, 120)) : `<${c.body?.length ?? 0} bytes>`}`;
  }
  return c;
}

async function runCase(c: Case, retry = true): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(server.url + c.url, {
      method: c.method,
      headers: c.headers,
      body: c.body as BodyInit | undefined,
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
  } catch (e) {
    const msg = e instanceof Error ? `${e.message} ${(e.cause as Error | undefined)?.message ?? ""}` : String(e);
    // fetch refuses some URLs and header values itself: that never reached the server.
    if (/Invalid URL|invalid header|Headers|ByteString|URI malformed/i.test(msg)) return null;
    // The server may close the connection on an oversized body it will not read (413) or a
    // request head over Node's 16 KiB limit (431), before the client has finished sending.
    const headBytes = c.url.length + Object.entries(c.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    const bigBody = (c.body?.length ?? 0) > 1_000_000;
    if ((bigBody || headBytes > 16_000) && /other side closed|socket|reset|terminated|EPIPE/i.test(msg)) return null;
    // The keep-alive race (a reused connection closed by the server as the request left) is
    // answered by a retry of an idempotent request, as browsers do (RFC 9112 §9.3.1).
    if (retry && c.method === "GET" && !c.body && /other side closed/i.test(msg)) {
      stats.retried++;
      return runCase(c, false);
    }
    return `${c.label}: request failed: ${msg}`;
  }
  const text = await res.text().catch(() => "");
  stats.rest.set(res.status, (stats.rest.get(res.status) ?? 0) + 1);
  if (res.status >= 500) return `${c.label}: ${res.status} ${text.slice(0, 300)}`;
  if (res.status >= 400) {
    try {
      const j = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof j.error?.code !== "string" || typeof j.error?.message !== "string") throw new Error("shape");
      if (j.error.code === "INTERNAL") return `${c.label}: INTERNAL in a ${res.status}`;
    } catch {
      return `${c.label}: ${res.status} without a JSON error body: ${text.slice(0, 200)}`;
    }
  }
  return null;
}

describe("REST fuzz", () => {
  it(`answers ${REST_CASES} hostile requests with 4xx (or 2xx), never a 5xx`, { timeout: 240_000 }, async () => {
    const routes = server.routes;
    const failures: string[] = [];
    let next = ONLY ?? 0;
    const end = ONLY === null ? REST_CASES : ONLY + 1;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= end) return;
        if (i > 0 && i % 1000 === 0) await refreshGuests();
        const f = await runCase(makeCase(routes, i));
        if (f) failures.push(f);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const summary = [...stats.rest]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(" ");
    console.log(
      `REST fuzz (seed ${SEED}): ${end - (ONLY ?? 0)} cases over ${routes.length} routes: ${summary}; ${stats.retried} keep-alive retries`,
    );
    // Server errors first: they are the ones that matter most.
    failures.sort((a, b) => Number(/: 5\d\d /.test(b)) - Number(/: 5\d\d /.test(a)));
    expect(failures.slice(0, 10), `${failures.length} failures (seed ${SEED})`).toEqual([]);
    expect([...stats.rest.keys()].some((s) => s >= 500)).toBe(false);
  });
});

describe("socket.io fuzz", () => {
  const events = Object.keys(eventRoles);

  function socketArgs(r: Rng): unknown[] {
    const n = r.int(0, 3);
    return Array.from({ length: n }, () => {
      switch (r.int(0, 6)) {
        case 0: {
          const b = new Uint8Array(r.pick([0, 1, 1024, 100_000]));
          for (let i = 0; i < b.length; i += 31) b[i] = r.int(0, 255);
          return r.chance(0.5) ? b : b.buffer;
        }
        case 1:
          return {
            guestId: r.chance(0.5) ? r.pick(guestIds) : randomString(r),
            cols: randomValue(r),
            rows: randomValue(r),
            mode: randomValue(r),
          };
        case 2:
          return {
            id: r.chance(0.5) ? r.pick(guestIds) : randomValue(r),
            action: r.chance(0.5) ? r.pick(["start", "stop", "pause", "resume", "reboot", "shutdown"]) : randomValue(r),
          };
        case 3:
          return {
            ids: r.chance(0.5) ? Array.from({ length: r.pick([1, 10, 2001]) }, () => r.pick(guestIds)) : randomValue(r),
          };
        case 4:
          return { consoleId: randomValue(r), data: randomValue(r), cols: randomValue(r), rows: randomValue(r) };
        case 5:
          return JSON.parse(deepJson(r, r.pick([10, 100, 1000]))) as unknown;
        default:
          return mutate(r, randomObject(r));
      }
    });
  }

  it(
    `answers ${SOCKET_CASES} random events with Results, never INTERNAL, and stays connected`,
    { timeout: 120_000 },
    async () => {
      const creds = [
        { token: who.tokens.admin.bearer! },
        { token: who.tokens.viewer.bearer! },
        // A fresh session: the REST fuzz may have signed the shared one out (a random DELETE).
        { cookie: await signIn("operator") },
        { cookie: await signIn("operator") },
      ];
      const slots: { s: TestSocket; cutExpected: boolean; last: string }[] = [];
      const unexpectedDrops: string[] = [];
      const open = async (k: number) => {
        const s = await connectSocket(server.url, creds[k]!);
        const slot = { s, cutExpected: false, last: "" };
        s.on("disconnect", (reason) => {
          if (!slot.cutExpected) unexpectedDrops.push(`dropped (${reason}) after ${slot.last}`);
        });
        slots[k] = slot;
      };
      for (let k = 0; k < creds.length; k++) await open(k);
      const failures: string[] = [];
      let next = ONLY ?? 0;
      const end = ONLY === null ? SOCKET_CASES : ONLY + 1;
      const worker = async (k: number) => {
        for (;;) {
          const i = next++;
          if (i >= end) return;
          const slot = slots[k]!;
          const r = caseRng(SEED ^ 0x5eed, i);
          const event = r.chance(0.9)
            ? r.pick(events)
            : r.pick([
                "nope",
                "guests:list ",
                "__proto__",
                "constructor",
                "hasOwnProperty",
                "console:data",
                "guest:upsert",
                randomString(r).slice(0, 40) || "x",
              ]);
          const args = socketArgs(r);
          const label = `socket #${i} ${event} ${JSON.stringify(args)?.slice(0, 150)}`;
          slot.last = label;
          const raw = slot.s as unknown as { emit: (...a: unknown[]) => void };
          if (packetBytes(event, args) > MAX_SOCKET_PACKET) {
            // Over maxHttpBufferSize: the server cuts this connection, and only this one. (The
            // client may shrink a packet first: it drops own "__proto__" keys from binary ones.)
            slot.cutExpected = true;
            const cut = new Promise<boolean>((res) => {
              slot.s.once("disconnect", () => res(true));
              setTimeout(() => res(false), 2000);
            });
            raw.emit(event, ...args);
            stats.socketOversized++;
            if (await cut) {
              slot.s.close();
              await open(k);
            } else {
              slot.cutExpected = false;
              const alive = await new Promise<boolean>((res) => {
                setTimeout(() => res(false), 5000);
                slot.s.emit("guests:list", (x) => res(x.ok));
              });
              if (!alive) failures.push(`${label}: the connection neither refused the packet nor answers`);
            }
            continue;
          }
          if (!r.chance(0.85)) {
            raw.emit(event, ...args);
            stats.socketNoAck++;
            continue;
          }
          const known = events.includes(event);
          const ack = await new Promise<unknown>((resolve) => {
            const t = setTimeout(() => resolve("timeout"), known ? 5000 : 50);
            raw.emit(event, ...args, (res: unknown) => {
              clearTimeout(t);
              resolve(res);
            });
          });
          if (!known) continue;
          stats.socketAcks++;
          const res = ack as { ok?: unknown; error?: { code?: unknown } };
          if (ack === "timeout") failures.push(`${label}: no ack`);
          else if (typeof res?.ok !== "boolean") failures.push(`${label}: ack is not a Result: ${JSON.stringify(ack)}`);
          else if (res.ok === false && (typeof res.error?.code !== "string" || res.error.code === "INTERNAL"))
            failures.push(`${label}: ${JSON.stringify(ack)}`);
          if (!slot.s.connected) return void failures.push(`${label}: the connection was lost`);
        }
      };
      await Promise.all(slots.map((_s, k) => worker(k)));
      console.log(
        `socket fuzz (seed ${SEED}): ${stats.socketAcks} acked, ${stats.socketNoAck} fire-and-forget, ${stats.socketOversized} oversized (connection cut as designed)`,
      );
      expect(failures.slice(0, 10), `${failures.length} failures`).toEqual([]);
      expect(unexpectedDrops).toEqual([]);
      expect(slots.every((x) => x.s.connected)).toBe(true);
      slots.forEach((x) => x.s.close());
    },
  );

  it(
    `survives ${RAW_PACKETS} raw malformed socket.io packets (only the sender may be cut off)`,
    { timeout: 60_000 },
    async () => {
      const bystander = await connectSocket(server.url, { token: who.tokens.admin.bearer! });
      let bystanderDropped = false;
      bystander.on("disconnect", () => (bystanderDropped = true));
      const templates = [
        () => "2",
        () => "2[",
        () => '2["guest:action",{"_placeholder":true,"num":0}]',
        () => '51-["console:input",{"consoleId":"x","data":{"_placeholder":true,"num":7}}]',
        () => '5999999999-["x"]',
        () => '2/evil,["guests:list"]',
        () => "0/other,",
        () => '2["__proto__",{"polluted":"yes"}]',
        () => '2["constructor",{"prototype":{"polluted":"yes"}}]',
        () => '23["guests:list"]',
        () => '3["ack-without-call"]',
        () => "9garbage",
        () => '2{"not":"an array"}',
        () => '2["guest:action",' + "[".repeat(5000) + "]".repeat(5000) + "]",
      ];
      let s = await connectSocket(server.url, { token: who.tokens.operator.bearer! });
      for (let i = 0; i < RAW_PACKETS; i++) {
        const r = caseRng(SEED ^ 0xbad, i);
        if (!s.connected) s = await connectSocket(server.url, { token: who.tokens.operator.bearer! });
        const packet = r.chance(0.8) ? r.pick(templates)() : `${r.int(0, 9)}${randomString(r).slice(0, 200)}`;
        (s.io as unknown as { engine: { write(m: string): void } }).engine.write(packet);
        stats.raw++;
        if (i % 20 === 0) await new Promise((res) => setTimeout(res, 5));
      }
      s.close();
      await new Promise((res) => setTimeout(res, 200));
      expect(bystanderDropped).toBe(false);
      const list = await new Promise<{ ok: boolean }>((res) => bystander.emit("guests:list", res));
      expect(list.ok).toBe(true);
      bystander.close();
    },
  );
});

describe("regressions the fuzz found", () => {
  it("refuses unpaired-surrogate escapes in JSON bodies with 400 (they were a 500 from the database layer)", async () => {
    const admin = new Client(server.url);
    admin.bearer = who.tokens.admin.bearer;
    const bad = "x\\udba7y";
    for (const [method, path, body] of [
      ["POST", "/api/v1/session", `{"username":"${bad}","password":"p"}`],
      ["POST", "/api/v1/tokens", `{"name":"${bad}"}`],
      ["PATCH", `/api/v1/guests/${guestIds[0]}`, `{"notes":"${bad}"}`],
      ["POST", "/api/v1/guests", `{"${bad}":1}`],
    ] as const) {
      const res = await admin.raw(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("VALIDATION");
    }
    // A well-formed pair is fine.
    expect((await admin.raw("POST", "/api/v1/tokens", '{"name":"\\ud83d\\udca5"}')).status).toBe(201);
  });

  it("says Connection: close when it answers without reading the body (no keep-alive race)", async () => {
    const res = await fetch(`${server.url}/api/v1/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(50_000) }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("connection")).toBe("close");
    const ok = await fetch(`${server.url}/api/v1/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${who.tokens.admin.bearer}` },
      body: JSON.stringify({ name: "fine" }),
    });
    expect(ok.status).toBe(201);
    expect(ok.headers.get("connection")).not.toBe("close");
  });

  it("answers a request head over 16 KiB with a JSON 431", async () => {
    const res = await fetch(`${server.url}/api/v1/guests?q=${"x".repeat(20_000)}`);
    expect(res.status).toBe(431);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("HEADERS_TOO_LARGE");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("after the fuzz", () => {
  it("the server is healthy and answers normally", async () => {
    const admin = new Client(server.url);
    admin.bearer = who.tokens.admin.bearer;
    expect((await admin.raw("GET", "/healthz")).status).toBe(200);
    const list = await admin.json<{ guests: unknown[] }>("GET", "/api/v1/guests");
    expect(list.status).toBe(200);
    expect(list.body.guests.length).toBeGreaterThan(0);
    const fresh = new Client(server.url);
    expect((await fresh.login(who.users.viewer.username, who.users.viewer.password)).status).toBe(200);
  });

  it("Object.prototype is not polluted", () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    const probe: Record<string, unknown> = {};
    for (const k of ["polluted", "isAdmin", "role", "x", "a"]) expect(probe[k], k).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it("every user the fuzz created is well-formed (a real role, a scrypt hash)", async () => {
    const rows = await server.db.user.findMany();
    for (const u of rows) {
      expect(["viewer", "operator", "admin"], u.username).toContain(u.role);
      expect(u.passwordHash, u.username).toMatch(/^scrypt\$/);
    }
  });
});
