// The authorization matrix: every REST route, every socket.io event and the VNC upgrade ×
// (no auth, viewer, operator, admin, expired session, revoked token) against the tables in
// docs/authorization.md. Role principals are tried twice, with a cookie session (and its CSRF
// token) and with a bearer token. Allowed cells send a valid request and expect the route's
// exact success status; refused cells aim at real resources and the test checks afterwards that
// none of them changed. Also: CSRF on every cookie write, and the VNC tickets' rules.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../contract/auth";
import type { Guest } from "../../contract/guest";
import { ConsoleTickets } from "../../services/console-tickets";
import { Client, connectSocket, until, type TestSocket } from "../harness";
import {
  PRINCIPALS,
  VNC_UPGRADE,
  eventRows,
  parseEvents,
  parseRest,
  renderEvents,
  renderRest,
  replaceSection,
  restRows,
  section,
  type Cell,
  type PrincipalKind,
} from "./access-table";
import {
  type CapableFakeDriver,
  credentialHeaders,
  expiredSession,
  makePrincipals,
  revokedToken,
  startCustomServer,
  startVncStandIn,
  upgrade,
  wsFramePayload,
  type CustomServer,
  type Principals,
} from "./support";

const DOC = path.resolve(import.meta.dirname, "../../../docs/authorization.md");
let server: CustomServer;
let vnc: Awaited<ReturnType<typeof startVncStandIn>>;
let who: Principals;
let admin: Client;
/** Shared targets of refused requests: they must be untouched at the end. */
let shared: {
  guest: Guest;
  taskId: string;
  imageId: string;
  tokenId: string;
  victimId: string;
  networkId: string;
  /** A container with a NIC on a network with IPv4 and one forward (forwards/firewall routes). */
  fwd: { guestId: string; networkId: string; forwardId: string };
  /** A running VM with one added disk (guest-disks routes). */
  vm: { id: string; volumeId: string };
  /** A filesystem volume attached to the shared container at /shared (storage routes). */
  volumeId: string;
};
let seq = 0;
const uniq = (p: string) => `${p}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  vnc = await startVncStandIn();
  server = await startCustomServer({ vncPort: () => vnc.port });
  who = await makePrincipals(server, "mx");
  admin = who.tokens.admin;
  const created = await runningGuest("shared");
  const img = await upload(admin, uniq("shared-img"));
  const victim = await server.services.auth.createUser(uniq("victim"), "victim-password", "viewer");
  const tok = await server.services.auth.createToken(who.users.admin.id, "shared");
  const net = await isolatedNetwork("shared");
  const fwd = await forwardedGuest();
  const vm = await vmWithDisk("running");
  const volumeId = await attachedVolume(created.guest.id);
  shared = {
    guest: created.guest,
    taskId: created.taskId,
    imageId: img,
    tokenId: tok.info.id,
    victimId: victim.id,
    networkId: net,
    fwd,
    vm,
    volumeId,
  };
  await snapshotDriver().createSnapshot(shared.guest.id, "base");
});

afterAll(async () => {
  sockets.forEach((s) => s.close());
  await server?.stop();
  await vnc?.close();
});

function snapshotDriver(): CapableFakeDriver {
  return server.drivers.forKind("container") as CapableFakeDriver;
}

async function runningGuest(prefix: string): Promise<{ guest: Guest; taskId: string }> {
  const res = await server.services.guests.create(
    { userId: who.users.admin.id, username: who.users.admin.username },
    { kind: "container", name: uniq(prefix), image: "demo-busybox", vcpus: 1, memoryMiB: 64 },
  );
  await until(async () => (await server.services.guests.get(res.guest.id)).state === "running", 5000, 10);
  await server.services.tasks.waitFor(res.taskId, 5000);
  return res;
}

async function stoppedGuest(): Promise<Guest> {
  const res = await server.services.guests.create(
    { userId: who.users.admin.id, username: who.users.admin.username },
    { kind: "vm", name: uniq("src"), image: "demo-vm", vcpus: 1, memoryMiB: 64, start: false },
  );
  await until(async () => (await server.services.guests.get(res.guest.id)).state === "stopped", 5000, 10);
  return server.services.guests.get(res.guest.id);
}

/** A fake VM (running or stopped) with a 1 GiB disk added through the disk service. */
async function vmWithDisk(state: "running" | "stopped"): Promise<{ id: string; volumeId: string }> {
  const actor = { userId: who.users.admin.id, username: who.users.admin.username };
  const res = await server.services.guests.create(actor, {
    kind: "vm",
    name: uniq("disky"),
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 64,
    start: state === "running",
  });
  await server.services.tasks.waitFor(res.taskId, 5000);
  const { taskId } = await server.services.disks.add(actor, res.guest.id, { sizeGiB: 1 });
  await server.services.tasks.waitFor(taskId, 5000);
  const disk = (await server.services.disks.list(res.guest.id)).find((d) => d.volumeId);
  return { id: res.guest.id, volumeId: disk!.volumeId! };
}

/** A new 1 GiB filesystem volume, attached to `guestId` at a fresh path when given. */
async function attachedVolume(guestId?: string): Promise<string> {
  const vol = await server.services.storage.create({ name: uniq("vol"), sizeGiB: 1, use: "filesystem" });
  if (guestId) await server.services.guestVolumes.attach(guestId, { volume: vol.id, path: `/${uniq("v")}` });
  return vol.id;
}

let forwardPort = 30000;
/** A container on its own isolated IPv4 network with one port forward. */
async function forwardedGuest(): Promise<{ guestId: string; networkId: string; forwardId: string }> {
  const third = 100 + (forwardPort % 100);
  const networkId = (
    await server.services.networks.create("admin", {
      name: uniq("fwd"),
      type: "isolated",
      ipv4: { subnet: `10.243.${third}.0/24`, gateway: `10.243.${third}.1`, dhcp: null },
    })
  ).id;
  const res = await server.services.guests.create(
    { userId: who.users.admin.id, username: who.users.admin.username },
    {
      kind: "container",
      name: uniq("fwd"),
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      nics: [{ network: networkId }],
    },
  );
  await server.services.tasks.waitFor(res.taskId, 5000);
  const forward = await server.services.forwards.create(res.guest.id, {
    hostPort: ++forwardPort,
    guestPort: 80,
    protocol: "tcp",
  });
  return { guestId: res.guest.id, networkId, forwardId: forward.id };
}

/** An isolated network without addresses: as many as the matrix needs, none clashing. */
async function isolatedNetwork(prefix: string): Promise<string> {
  return (await server.services.networks.create("admin", { name: uniq(prefix), type: "isolated", ipv4: null })).id;
}

async function upload(c: Client, name: string): Promise<string> {
  const res = await c.raw("POST", `/api/v1/images?name=${name}&kind=vm&format=raw`, "raw-disk-bytes", {
    "content-type": "application/octet-stream",
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { image: { id: string } }).image.id;
}

interface Req {
  path: string;
  body?: unknown;
  upload?: string;
  /** Use this client instead of the principal's (e.g. a throwaway session to sign out). */
  client?: Client;
}
interface Ctx {
  allowed: boolean;
  role: Role | null;
  via: "cookie" | "token" | null;
}
interface Fixture {
  ok: number;
  req(c: Ctx): Promise<Req> | Req;
}

const g = () => shared.guest.id;

/** One valid request per route. A new route without a fixture fails the matrix. */
const fixtures: Record<string, Fixture> = {
  "GET /healthz": { ok: 200, req: () => ({ path: "/healthz" }) },
  "GET /api/v1/openapi.json": { ok: 200, req: () => ({ path: "/api/v1/openapi.json" }) },
  "POST /api/v1/session": {
    ok: 200,
    req: () => ({
      path: "/api/v1/session",
      body: { username: who.users.viewer.username, password: who.users.viewer.password },
    }),
  },
  "DELETE /api/v1/session": {
    ok: 204,
    req: async (c) => {
      if (!c.allowed || c.via !== "cookie") return { path: "/api/v1/session" };
      const fresh = new Client(server.url);
      await fresh.login(who.users[c.role!].username, who.users[c.role!].password);
      return { path: "/api/v1/session", client: fresh };
    },
  },
  "GET /api/v1/session": { ok: 200, req: () => ({ path: "/api/v1/session" }) },
  "POST /api/v1/tokens": { ok: 201, req: () => ({ path: "/api/v1/tokens", body: { name: uniq("t") } }) },
  "GET /api/v1/tokens": { ok: 200, req: () => ({ path: "/api/v1/tokens" }) },
  "DELETE /api/v1/tokens/:id": {
    ok: 204,
    req: async (c) => {
      if (!c.allowed) return { path: `/api/v1/tokens/${shared.tokenId}` };
      const t = await server.services.auth.createToken(who.users[c.role!].id, uniq("own"));
      return { path: `/api/v1/tokens/${t.info.id}` };
    },
  },
  "GET /api/v1/users": { ok: 200, req: () => ({ path: "/api/v1/users" }) },
  "POST /api/v1/users": {
    ok: 201,
    req: () => ({ path: "/api/v1/users", body: { username: uniq("u"), password: "a-long-password", role: "viewer" } }),
  },
  "DELETE /api/v1/users/:id": {
    ok: 204,
    req: async (c) => {
      if (!c.allowed) return { path: `/api/v1/users/${shared.victimId}` };
      const u = await server.services.auth.createUser(uniq("doomed"), "doomed-password", "viewer");
      return { path: `/api/v1/users/${u.id}` };
    },
  },
  "PATCH /api/v1/users/:id": {
    ok: 200,
    req: async (c) => {
      if (!c.allowed) return { path: `/api/v1/users/${shared.victimId}`, body: { role: "admin" } };
      const u = await server.services.auth.createUser(uniq("promoted"), "promoted-password", "viewer");
      return { path: `/api/v1/users/${u.id}`, body: { role: "operator" } };
    },
  },
  "POST /api/v1/session/password": {
    ok: 204,
    req: async (c) => {
      const body = { current: "throwaway-password", next: "throwaway-password-2" };
      if (!c.allowed) return { path: "/api/v1/session/password", body };
      // A throwaway user of the same role and credential kind: the principals keep theirs.
      const u = await server.services.auth.createUser(uniq("pw"), body.current, c.role!);
      const client = new Client(server.url);
      if (c.via === "cookie") await client.login(u.username, body.current);
      else client.bearer = (await server.services.auth.createToken(u.id, "pw")).token;
      return { path: "/api/v1/session/password", body, client };
    },
  },
  "GET /api/v1/guests": { ok: 200, req: () => ({ path: "/api/v1/guests" }) },
  "POST /api/v1/guests": {
    ok: 202,
    req: (c) => ({
      path: "/api/v1/guests",
      body: {
        kind: "container",
        name: uniq(c.allowed ? "made" : "denied"),
        image: "demo-busybox",
        vcpus: 1,
        memoryMiB: 64,
      },
    }),
  },
  "GET /api/v1/guests/:id": { ok: 200, req: () => ({ path: `/api/v1/guests/${g()}` }) },
  "PATCH /api/v1/guests/:id": {
    ok: 200,
    req: (c) => ({ path: `/api/v1/guests/${g()}`, body: { tags: c.allowed ? ["ok"] : ["denied"] } }),
  },
  "DELETE /api/v1/guests/:id": {
    ok: 202,
    req: async (c) => ({
      path: `/api/v1/guests/${c.allowed ? (await runningGuest("del")).guest.id : g()}?purge=true`,
    }),
  },
  "POST /api/v1/guests/:id/actions": {
    ok: 202,
    req: async (c) =>
      c.allowed
        ? { path: `/api/v1/guests/${(await runningGuest("act")).guest.id}/actions`, body: { action: "pause" } }
        : { path: `/api/v1/guests/${g()}/actions`, body: { action: "stop" } },
  },
  "POST /api/v1/guests/:id/clone": {
    ok: 202,
    req: async (c) => ({
      path: `/api/v1/guests/${c.allowed ? (await stoppedGuest()).id : g()}/clone`,
      body: { name: uniq(c.allowed ? "clone" : "denied"), mode: "linked" },
    }),
  },
  "GET /api/v1/guests/:id/metrics": { ok: 200, req: () => ({ path: `/api/v1/guests/${g()}/metrics?range=15m` }) },
  "POST /api/v1/guests/:id/vnc": { ok: 200, req: () => ({ path: `/api/v1/guests/${g()}/vnc` }) },
  "GET /api/v1/guests/:id/snapshots": { ok: 200, req: () => ({ path: `/api/v1/guests/${g()}/snapshots` }) },
  "POST /api/v1/guests/:id/snapshots": {
    ok: 202,
    req: () => ({ path: `/api/v1/guests/${g()}/snapshots`, body: { name: uniq("snap") } }),
  },
  "POST /api/v1/guests/:id/snapshots/:name/revert": {
    ok: 202,
    req: () => ({ path: `/api/v1/guests/${g()}/snapshots/base/revert` }),
  },
  "DELETE /api/v1/guests/:id/snapshots/:name": {
    ok: 202,
    req: async (c) => {
      if (!c.allowed) return { path: `/api/v1/guests/${g()}/snapshots/base` };
      const name = uniq("gone");
      await snapshotDriver().createSnapshot(g(), name);
      return { path: `/api/v1/guests/${g()}/snapshots/${name}` };
    },
  },
  "GET /api/v1/networks": { ok: 200, req: () => ({ path: "/api/v1/networks" }) },
  "POST /api/v1/networks": {
    ok: 201,
    req: (c) => ({ path: "/api/v1/networks", body: { name: uniq(c.allowed ? "net" : "denied"), type: "isolated" } }),
  },
  "GET /api/v1/guests/:id/forwards": {
    ok: 200,
    req: () => ({ path: `/api/v1/guests/${shared.fwd.guestId}/forwards` }),
  },
  "POST /api/v1/guests/:id/forwards": {
    ok: 201,
    req: () => ({
      path: `/api/v1/guests/${shared.fwd.guestId}/forwards`,
      body: { hostPort: ++forwardPort, guestPort: 8080 },
    }),
  },
  "DELETE /api/v1/guests/:id/forwards/:forwardId": {
    ok: 204,
    req: async (c) => {
      const target = c.allowed ? await forwardedGuest() : shared.fwd;
      return { path: `/api/v1/guests/${target.guestId}/forwards/${target.forwardId}` };
    },
  },
  "GET /api/v1/networks/:id/forwards": {
    ok: 200,
    req: () => ({ path: `/api/v1/networks/${shared.fwd.networkId}/forwards` }),
  },
  "GET /api/v1/guests/:id/nics": {
    ok: 200,
    req: () => ({ path: `/api/v1/guests/${shared.fwd.guestId}/nics` }),
  },
  "POST /api/v1/guests/:id/nics": {
    ok: 201,
    // A fresh guest per allowed call: a guest takes at most 8 NICs.
    req: async (c) => {
      const target = c.allowed ? await forwardedGuest() : shared.fwd;
      return { path: `/api/v1/guests/${target.guestId}/nics`, body: { network: target.networkId } };
    },
  },
  "DELETE /api/v1/guests/:id/nics/:nicId": {
    ok: 204,
    req: async (c) => {
      const target = c.allowed ? await forwardedGuest() : shared.fwd;
      const [nic] = await server.services.nics.list(target.guestId);
      return { path: `/api/v1/guests/${target.guestId}/nics/${nic!.id}` };
    },
  },
  "GET /api/v1/pools": { ok: 200, req: () => ({ path: "/api/v1/pools" }) },
  "GET /api/v1/volumes": { ok: 200, req: () => ({ path: "/api/v1/volumes" }) },
  "POST /api/v1/volumes": {
    ok: 201,
    req: () => ({ path: "/api/v1/volumes", body: { name: uniq("vol"), sizeGiB: 1 } }),
  },
  "GET /api/v1/volumes/:id": { ok: 200, req: () => ({ path: `/api/v1/volumes/${shared.volumeId}` }) },
  "DELETE /api/v1/volumes/:id": {
    ok: 204,
    req: async (c) => ({ path: `/api/v1/volumes/${c.allowed ? await attachedVolume() : shared.volumeId}` }),
  },
  "POST /api/v1/guests/:id/volumes": {
    ok: 200,
    req: async (c) => ({
      path: `/api/v1/guests/${g()}/volumes`,
      body: { volume: c.allowed ? await attachedVolume() : shared.volumeId, path: `/${uniq("m")}` },
    }),
  },
  "DELETE /api/v1/guests/:id/volumes/:volumeId": {
    ok: 200,
    req: async (c) => ({
      path: `/api/v1/guests/${g()}/volumes/${c.allowed ? await attachedVolume(g()) : shared.volumeId}`,
    }),
  },
  "GET /api/v1/guests/:id/firewall": {
    ok: 200,
    req: () => ({ path: `/api/v1/guests/${shared.fwd.guestId}/firewall` }),
  },
  "PUT /api/v1/guests/:id/firewall": {
    ok: 200,
    req: async (c) => ({
      path: `/api/v1/guests/${c.allowed ? (await forwardedGuest()).guestId : shared.fwd.guestId}/firewall`,
      body: { rules: [{ action: "allow", protocol: "tcp", ports: { start: 22, end: 22 } }] },
    }),
  },
  "GET /api/v1/networks/:id": { ok: 200, req: () => ({ path: `/api/v1/networks/${shared.networkId}` }) },
  "PATCH /api/v1/networks/:id": {
    ok: 200,
    req: async (c) => ({
      path: `/api/v1/networks/${c.allowed ? await isolatedNetwork("patched") : shared.networkId}`,
      body: { dnsNames: false },
    }),
  },
  "DELETE /api/v1/networks/:id": {
    ok: 204,
    req: async (c) => ({ path: `/api/v1/networks/${c.allowed ? await isolatedNetwork("doomed") : shared.networkId}` }),
  },
  "GET /api/v1/guests/:id/disks": { ok: 200, req: () => ({ path: `/api/v1/guests/${shared.vm.id}/disks` }) },
  "POST /api/v1/guests/:id/disks": {
    ok: 202,
    req: async (c) => ({
      path: `/api/v1/guests/${c.allowed ? (await vmWithDisk("running")).id : shared.vm.id}/disks`,
      body: { sizeGiB: 1 },
    }),
  },
  "DELETE /api/v1/guests/:id/disks/:volumeId": {
    ok: 202,
    req: async (c) => {
      const vm = c.allowed ? await vmWithDisk("running") : shared.vm;
      return { path: `/api/v1/guests/${vm.id}/disks/${vm.volumeId}?purge=true` };
    },
  },
  "POST /api/v1/guests/:id/disks/:volumeId/resize": {
    ok: 202,
    req: async (c) => {
      const vm = c.allowed ? await vmWithDisk("running") : shared.vm;
      return { path: `/api/v1/guests/${vm.id}/disks/${vm.volumeId}/resize`, body: { sizeGiB: 3 } };
    },
  },
  "POST /api/v1/guests/:id/disks/:volumeId/move": {
    ok: 202,
    req: async (c) => {
      const vm = c.allowed ? await vmWithDisk("stopped") : shared.vm;
      return { path: `/api/v1/guests/${vm.id}/disks/${vm.volumeId}/move`, body: { pool: "spare" } };
    },
  },
  "GET /api/v1/guests/:id/logs": { ok: 200, req: () => ({ path: `/api/v1/guests/${g()}/logs?tail=10` }) },
  "GET /api/v1/host": { ok: 200, req: () => ({ path: "/api/v1/host" }) },
  "GET /api/v1/host/metrics": { ok: 200, req: () => ({ path: "/api/v1/host/metrics" }) },
  "GET /api/v1/images": { ok: 200, req: () => ({ path: "/api/v1/images" }) },
  "POST /api/v1/images": {
    ok: 201,
    req: () => ({ path: `/api/v1/images?name=${uniq("up")}&kind=vm&format=raw`, upload: "disk-bytes" }),
  },
  "DELETE /api/v1/images/:id": {
    ok: 204,
    req: async (c) => ({ path: `/api/v1/images/${c.allowed ? await upload(admin, uniq("del-img")) : shared.imageId}` }),
  },
  "GET /api/v1/tasks": { ok: 200, req: () => ({ path: "/api/v1/tasks?limit=5" }) },
  "GET /api/v1/tasks/:id": { ok: 200, req: () => ({ path: `/api/v1/tasks/${shared.taskId}` }) },
  "GET /metrics": { ok: 200, req: () => ({ path: "/metrics" }) },
};

async function send(c: Client, method: string, r: Req, headers: Record<string, string> = {}): Promise<Response> {
  const client = r.client ?? c;
  if (r.upload !== undefined)
    return client.raw(method, r.path, r.upload, { "content-type": "application/octet-stream", ...headers });
  return client.raw(method, r.path, r.body, headers);
}

/** The clients standing for one column: both credentials for a role, one client otherwise. */
async function clientsFor(p: PrincipalKind): Promise<{ client: Client; role: Role | null; via: Ctx["via"] }[]> {
  switch (p) {
    case "none":
      return [{ client: new Client(server.url), role: null, via: null }];
    case "expired":
      return [{ client: await expiredSession(server, who.users.admin.id), role: null, via: "cookie" }];
    case "revoked":
      return [{ client: await revokedToken(server, who.users.admin.id), role: null, via: "token" }];
    default:
      return [
        { client: who[p], role: p, via: "cookie" },
        { client: who.tokens[p], role: p, via: "token" },
      ];
  }
}

function readDoc(): string {
  return readFileSync(DOC, "utf8");
}

describe("docs/authorization.md", () => {
  it("lists every route and event with the access the code declares", () => {
    const rest = renderRest(restRows(server.routes));
    const events = renderEvents(eventRows());
    if (process.env.UPDATE_ACCESS_DOC) {
      writeFileSync(DOC, replaceSection(replaceSection(readDoc(), "rest-access", rest), "event-access", events));
    }
    const doc = readDoc();
    const hint = "regenerate with UPDATE_ACCESS_DOC=1 (see the top of docs/authorization.md)";
    // Compared as parsed rows, so that prettier's column padding does not matter.
    expect(parseRest(section(doc, "rest-access") ?? ""), hint).toEqual(restRows(server.routes));
    expect(parseEvents(section(doc, "event-access") ?? ""), hint).toEqual(eventRows());
  });

  it("has a fixture for every route, so every route is in the matrix", () => {
    const missing = server.routes.map((r) => `${r.method.toUpperCase()} ${r.path}`).filter((k) => !fixtures[k]);
    expect(missing).toEqual([]);
  });
});

describe("REST matrix", () => {
  const expectCell = async (res: Response, cell: Cell, ok: number, label: string) => {
    const text = await res.text();
    if (cell === "ok") {
      expect(res.status, `${label}: ${text.slice(0, 200)}`).toBe(ok);
    } else {
      expect(res.status, `${label}: ${text.slice(0, 200)}`).toBe(Number(cell));
      expect(JSON.parse(text).error.code, label).toBe(cell === "401" ? "UNAUTHENTICATED" : "FORBIDDEN");
    }
  };

  it("answers every route × principal as the doc says", async () => {
    const rows = parseRest(section(readDoc(), "rest-access") ?? "").filter((r) => r.path !== VNC_UPGRADE.path);
    expect(rows.length).toBe(server.routes.length);
    let checked = 0;
    for (const row of rows) {
      const fx = fixtures[`${row.method} ${row.path}`];
      expect(fx, `${row.method} ${row.path} has a fixture`).toBeDefined();
      for (const p of PRINCIPALS) {
        const cell = row.cells[p];
        for (const { client, role, via } of await clientsFor(p)) {
          const r = await fx!.req({ allowed: cell === "ok", role, via });
          const res = await send(client, row.method, r);
          await expectCell(res, cell, fx!.ok, `${row.method} ${row.path} as ${p}${via ? ` (${via})` : ""}`);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(rows.length * 9);
  });

  it("refuses every cookie write without the session's CSRF token, even for an admin", async () => {
    const rows = parseRest(section(readDoc(), "rest-access") ?? "").filter((r) => r.csrf === "403");
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const fx = fixtures[`${row.method} ${row.path}`]!;
      const r = await fx.req({ allowed: false, role: "admin", via: "cookie" });
      for (const [label, token] of [
        ["none", ""],
        ["another session's", who.viewer.csrf!],
      ] as const) {
        const res = await send(who.admin, row.method, r, { "x-csrf-token": token });
        expect(res.status, `${row.method} ${row.path} with ${label} CSRF token`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("CSRF");
      }
    }
  });

  it("changed nothing that a refused request aimed at", async () => {
    const guest = await server.services.guests.get(shared.guest.id);
    expect(guest.state).toBe("running");
    expect(guest.tags).not.toContain("denied");
    expect((await server.services.guests.list()).some((x) => x.name.startsWith("denied-"))).toBe(false);
    const victim = (await server.services.auth.listUsers()).find((u) => u.id === shared.victimId);
    expect(victim?.role).toBe("viewer");
    expect((await server.services.auth.listTokens(who.users.admin.id)).some((t) => t.id === shared.tokenId)).toBe(true);
    expect((await server.services.images.get(shared.imageId)).id).toBe(shared.imageId);
    expect((await snapshotDriver().listSnapshots(shared.guest.id)).some((s) => s.name === "base")).toBe(true);
    expect((await server.services.networks.get(shared.networkId)).dnsNames).toBe(true);
    expect((await server.services.networks.list()).some((n) => n.name.startsWith("denied-"))).toBe(false);
    // The shared forward is still there and the shared guest's firewall still empty.
    expect((await server.services.forwards.list(shared.fwd.guestId)).map((f) => f.id)).toContain(shared.fwd.forwardId);
    expect(await server.services.forwards.getFirewall(shared.fwd.guestId)).toEqual([]);
    // The shared volume still exists, attached to the shared container.
    expect((await server.services.storage.get(shared.volumeId)).attachedTo.map((a) => a.guestId)).toEqual([g()]);
    expect(await server.services.nics.list(shared.fwd.guestId)).toHaveLength(1);
    // The shared VM kept exactly its one added disk, in its pool, at its size.
    const disks = await server.services.disks.list(shared.vm.id);
    expect(disks.map((d) => [d.volumeId, d.pool, d.capacityBytes])).toEqual([
      [null, null, 1024 ** 3],
      [shared.vm.volumeId, "tandem", 1024 ** 3],
    ]);
    // The admin's own session survived every refused sign-out.
    expect((await who.admin.raw("GET", "/api/v1/session")).status).toBe(200);
  });
});

describe("VNC upgrade matrix", () => {
  it("answers the upgrade × principal as the doc says", async () => {
    const row = parseRest(section(readDoc(), "rest-access") ?? "").find((r) => r.path === VNC_UPGRADE.path);
    expect(row).toBeDefined();
    for (const p of PRINCIPALS) {
      for (const { client, role } of await clientsFor(p)) {
        // A ticket for this user if it has one, else the admin's: the refusal must come first.
        const owner = role ? who.users[role].id : who.users.admin.id;
        const { ticket } = server.services.consoleTickets.issue(owner, shared.guest.id);
        const res = await upgrade(server.url, `/api/v1/vnc/${ticket}`, credentialHeaders(client));
        const want = row!.cells[p] === "ok" ? 101 : Number(row!.cells[p]);
        expect(res.status, `vnc upgrade as ${p}`).toBe(want);
        // Tandem ends the websocket itself: the VNC server's greeting arrives as a binary frame.
        if (want === 101) expect(res.first[0]).toBe(0x82);
        if (want === 101) expect(wsFramePayload(res.first)).toMatch(/^RFB 003\.008/);
      }
    }
    // Nothing of the browser's request (Tandem's credentials included) reaches the VNC server.
    expect(vnc.heads.length).toBeGreaterThanOrEqual(4);
    for (const h of vnc.heads) expect(h).not.toMatch(/^(cookie|authorization):/im);
  });
});

describe("console tickets", () => {
  const ticketFor = async (c: Client) => {
    const res = await c.json<{ path: string; ticket: string; expiresInSeconds: number }>(
      "POST",
      `/api/v1/guests/${shared.guest.id}/vnc`,
    );
    expect(res.status).toBe(200);
    return res.body;
  };

  it("are single-use", async () => {
    const t = await ticketFor(who.operator);
    expect(t.expiresInSeconds).toBeLessThanOrEqual(60);
    expect((await upgrade(server.url, t.path, credentialHeaders(who.operator))).status).toBe(101);
    expect((await upgrade(server.url, t.path, credentialHeaders(who.operator))).status).toBe(403);
  });

  it("are bound to the user: another operator or admin is refused, and the ticket is burnt", async () => {
    const t = await ticketFor(who.operator);
    const otherOperator = (await makePrincipals(server, "other")).operator;
    expect((await upgrade(server.url, t.path, credentialHeaders(otherOperator))).status).toBe(403);
    expect((await upgrade(server.url, t.path, credentialHeaders(who.operator))).status).toBe(403);
    const t2 = await ticketFor(who.operator);
    expect((await upgrade(server.url, t2.path, credentialHeaders(who.admin))).status).toBe(403);
    // Same user, other credential (the operator's API token) is the same user: accepted.
    const t3 = await ticketFor(who.operator);
    expect((await upgrade(server.url, t3.path, credentialHeaders(who.tokens.operator))).status).toBe(101);
  });

  it("are short-lived", async () => {
    const real = server.services.consoleTickets;
    server.services.consoleTickets = new ConsoleTickets(150);
    try {
      const t = await ticketFor(who.operator);
      await new Promise((r) => setTimeout(r, 300));
      expect((await upgrade(server.url, t.path, credentialHeaders(who.operator))).status).toBe(403);
    } finally {
      server.services.consoleTickets = real;
    }
  });

  it("refuse a cross-site Origin and malformed or unknown tickets", async () => {
    const t = await ticketFor(who.operator);
    const h = { ...credentialHeaders(who.operator), origin: "http://evil.example" };
    expect((await upgrade(server.url, t.path, h)).status).toBe(403);
    // Not a ticket at all: the server drops the connection without an answer.
    const malformed = await upgrade(server.url, "/api/v1/vnc/short", credentialHeaders(who.operator)).catch(
      (e: Error) => ({ status: e.message }),
    );
    expect(malformed.status).toBe("socket hang up");
    const unknown = "x".repeat(32);
    expect((await upgrade(server.url, `/api/v1/vnc/${unknown}`, credentialHeaders(who.operator))).status).toBe(403);
  });
});

describe("socket.io matrix", () => {
  const call = (s: TestSocket, event: string, payload: unknown) =>
    new Promise<{ ok: boolean; data?: unknown; error?: { code: string } }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), 5000);
      const ack = (r: { ok: boolean; data?: unknown; error?: { code: string } }) => {
        clearTimeout(timer);
        resolve(r);
      };
      const raw = s as unknown as { emit: (...a: unknown[]) => void };
      if (payload === undefined) raw.emit(event, ack);
      else raw.emit(event, payload, ack);
    });

  it("answers every event × principal as the doc says", async () => {
    const rows = parseEvents(section(readDoc(), "event-access") ?? "");
    expect(rows.map((r) => r.event).sort()).toEqual(
      eventRows()
        .map((r) => r.event)
        .sort(),
    );
    for (const p of PRINCIPALS) {
      for (const { client, via } of await clientsFor(p)) {
        const creds = via === "token" ? { token: client.bearer! } : { cookie: client.cookie };
        const expectRefused = rows.every((r) => r.cells[p] === "refused");
        if (expectRefused) {
          await expect(connectSocket(server.url, creds), `${p} handshake`).rejects.toThrow(/UNAUTHENTICATED/);
          continue;
        }
        const s = await connectSocket(server.url, creds);
        sockets.push(s);
        let consoleId = "not-open";
        for (const row of rows) {
          const allowed = row.cells[p] === "ok";
          const actOn =
            allowed && row.event === "guest:action" ? (await runningGuest("sock")).guest.id : shared.guest.id;
          const payloads: Record<string, unknown> = {
            "guests:list": undefined,
            "guest:action": { id: actOn, action: allowed ? "pause" : "stop" },
            "metrics:subscribe": { ids: [shared.guest.id] },
            "metrics:unsubscribe": { ids: [shared.guest.id] },
            "overview:join": undefined,
            "overview:leave": undefined,
            "console:open": { guestId: shared.guest.id, cols: 80, rows: 24 },
            "console:input": { consoleId, data: "echo hi\r" },
            "console:resize": { consoleId, cols: 100, rows: 30 },
            "console:close": { consoleId },
          };
          expect(Object.keys(payloads), `payload for ${row.event}`).toContain(row.event);
          const r = await call(s, row.event, payloads[row.event]);
          const label = `${row.event} as ${p} (${via})`;
          if (allowed) {
            expect(r.ok, `${label}: ${JSON.stringify(r.error)}`).toBe(true);
            if (row.event === "console:open") consoleId = (r.data as { consoleId: string }).consoleId;
          } else {
            expect(r, label).toMatchObject({ ok: false, error: { code: row.cells[p] } });
          }
        }
        s.close();
      }
    }
    expect((await server.services.guests.get(shared.guest.id)).state).toBe("running");
  });
});
