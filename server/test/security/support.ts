// Shared set-up for the security tests: a fake driver with every optional capability (VNC,
// snapshots, logs) so that every route can answer its success status, a local stand-in for a
// VM's VNC server, a server whose log can be read, and signed-in principals of each role.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect as netConnect, createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import pino from "pino";
import { startTandem, type PageHandler, type TandemServer } from "../../app-server";
import { loadConfig } from "../../config/env";
import type { Role } from "../../contract/auth";
import type {
  CloneCapable,
  DriverGuest,
  GuestDriver,
  LogLine,
  LogsCapable,
  Progress,
  SnapshotCapable,
  SnapshotInfo,
  VncCapable,
} from "../../domain/driver";
import { AppError } from "../../domain/errors";
import type { DiskCapable, DriverDisk, VolumeRef } from "../../domain/guest-disks";
import { LOCAL_HOST_ID } from "../../domain/ids";
import { OciImageStore } from "../../drivers/container";
import { containerImporter } from "../../drivers/container/importer";
import { FakeDriver, type FakeDriverOptions } from "../../drivers/fake/fake-driver";
import { SESSION_COOKIE } from "../../services/auth-service";
import { randomSecret, sha256 } from "../../services/passwords";
import { ADMIN_PASSWORD, Client } from "../harness";
import { FakeDisks, FakeStorage } from "./fake-disks";
import { FakeMounts } from "./fake-mounts";

/** The fake driver plus VNC (to a local stand-in), snapshots, logs and clones. */
export class CapableFakeDriver extends FakeDriver implements VncCapable, SnapshotCapable, LogsCapable, CloneCapable {
  private readonly snapshots = new Map<string, SnapshotInfo[]>();
  constructor(
    opts: FakeDriverOptions,
    private readonly vncPort: () => number,
  ) {
    super(opts);
  }
  async openVnc(id: string): Promise<Duplex> {
    await this.get(id);
    const sock = netConnect(this.vncPort(), "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", () => reject(new AppError("BACKEND_UNAVAILABLE", "the VNC stand-in is not listening")));
    });
    return sock;
  }
  async listSnapshots(id: string): Promise<SnapshotInfo[]> {
    await this.get(id);
    return this.snapshots.get(id) ?? [];
  }
  async createSnapshot(id: string, name: string, description = ""): Promise<void> {
    const list = await this.listSnapshots(id);
    if (list.some((s) => s.name === name)) throw new AppError("CONFLICT", `snapshot '${name}' exists`);
    this.snapshots.set(id, [
      ...list.map((s) => ({ ...s, current: false })),
      { name, description, createdAt: new Date().toISOString(), state: "running", current: true },
    ]);
  }
  async revertSnapshot(id: string, name: string): Promise<void> {
    if (!(await this.listSnapshots(id)).some((s) => s.name === name)) {
      throw new AppError("NOT_FOUND", `snapshot '${name}' was not found`);
    }
  }
  async deleteSnapshot(id: string, name: string): Promise<void> {
    const list = await this.listSnapshots(id);
    if (!list.some((s) => s.name === name)) throw new AppError("NOT_FOUND", `snapshot '${name}' was not found`);
    this.snapshots.set(
      id,
      list.filter((s) => s.name !== name),
    );
  }
  async clone(
    id: string,
    opts: { name: string; mode: "linked" | "full"; uuid: string },
    progress: (p: Progress) => void,
  ): Promise<DriverGuest> {
    const src = await this.get(id);
    const image = src.image ?? "cloned";
    return this.create(
      {
        kind: src.kind,
        name: opts.name,
        uuid: opts.uuid,
        image,
        vcpus: src.vcpus,
        memoryMiB: src.memoryMiB,
        start: false,
        resolvedImage: { id: image, kind: src.kind, format: "clone", path: "", meta: {} },
      },
      progress,
    );
  }
  async logs(id: string, opts: { tail?: number }): Promise<AsyncIterable<LogLine>> {
    await this.get(id);
    const lines: LogLine[] = [
      { time: new Date().toISOString(), stream: "stdout", text: "hello from the fake" },
      { time: new Date().toISOString(), stream: "stderr", text: "and its stderr" },
    ];
    return (async function* () {
      yield* lines.slice(-(opts.tail ?? lines.length));
    })();
  }
}

/** The capable fake for VMs, with in-memory storage pools and disks (fake-disks.ts). */
export class VmFakeDriver extends CapableFakeDriver implements DiskCapable {
  readonly storage = new FakeStorage();
  private readonly fakeDisks = new FakeDisks((id) => this.get(id), this.storage);
  listDisks(id: string): Promise<DriverDisk[]> {
    return this.fakeDisks.listDisks(id);
  }
  attachDisk(id: string, volume: VolumeRef): Promise<{ target: string }> {
    return this.fakeDisks.attachDisk(id, volume);
  }
  detachDisk(id: string, target: string): Promise<void> {
    return this.fakeDisks.detachDisk(id, target);
  }
  growDiskLive(id: string, target: string, bytes: number): Promise<void> {
    return this.fakeDisks.growDiskLive(id, target, bytes);
  }
  switchDisk(id: string, target: string, to: VolumeRef): Promise<void> {
    return this.fakeDisks.switchDisk(id, target, to);
  }
  diskClones(id: string): Promise<{ id: string; name: string }[]> {
    return this.fakeDisks.diskClones(id);
  }
}

/**
 * Stands in for a VM's VNC server: greets with the RFB version, then echoes. Records what each
 * connection was sent (one entry per connection), so a test can check what reached it.
 */
export async function startVncStandIn(): Promise<{ port: number; heads: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const server: Server = createServer((sock) => {
    const i = heads.push("") - 1;
    sock.on("error", () => sock.destroy());
    sock.on("data", (d: Buffer) => {
      if (heads[i]!.length < 65536) heads[i] += d.toString("latin1");
      sock.write(d);
    });
    sock.write("RFB 003.008\n");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    heads,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        // Proxied connections may still be open.
        (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

export interface CustomServer extends TandemServer {
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Like harness.startTestServer, with a logger and a page handler of the caller's choosing and
 * capable fake drivers by default.
 */
export async function startCustomServer(
  opts: {
    log?: Logger;
    pages?: PageHandler | null;
    env?: Record<string, string>;
    drivers?: (dataDir: string) => GuestDriver[];
    vncPort?: () => number;
    dataDir?: string;
    /** Import container archives with the real OCI image store (uploads of docker/OCI archives). */
    containers?: boolean;
  } = {},
): Promise<CustomServer> {
  const template = process.env.TANDEM_TEST_TEMPLATE_DB;
  if (!template) throw new Error("globalSetup did not prepare a template database");
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "tandem-sec-"));
  const dbFile = path.join(dataDir, "tandem.db");
  copyFileSync(template, dbFile);
  const config = loadConfig({
    TANDEM_DATA_DIR: dataDir,
    TANDEM_PORT: "0",
    TANDEM_DRIVERS: "fake",
    TANDEM_UI: "off",
    TANDEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    DATABASE_URL: `file:${dbFile}`,
    ...opts.env,
  });
  const vncPort = opts.vncPort ?? (() => 1);
  const drivers = opts.drivers?.(dataDir) ?? [
    new VmFakeDriver({ kind: "vm", hostId: LOCAL_HOST_ID, createDelayMs: 20 }, vncPort),
    // volumeMounts: in-memory container volume mounts (fake-mounts.ts), as ContainerDriver has.
    Object.assign(new CapableFakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, createDelayMs: 20 }, vncPort), {
      volumeMounts: new FakeMounts(),
    }),
  ];
  let server: TandemServer;
  try {
    server = await startTandem({
      config,
      drivers,
      log: opts.log ?? pino({ level: "silent" }),
      pages: opts.pages ?? null,
      containerImporter: opts.containers ? containerImporter(new OciImageStore(dataDir)) : null,
    });
  } catch (e) {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    ...server,
    dataDir,
    stop: async () => {
      await server.close();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Principals {
  viewer: Client;
  operator: Client;
  admin: Client;
  /** Bearer-token clients of the same three users. */
  tokens: Record<Role, Client>;
  users: Record<Role, { id: string; username: string; password: string }>;
}

let userSeq = 0;

/** A user of each role, each signed in with a cookie session and holding an API token. */
export async function makePrincipals(server: TandemServer, tag = "m"): Promise<Principals> {
  const users = {} as Principals["users"];
  const cookies = {} as Record<Role, Client>;
  const tokens = {} as Record<Role, Client>;
  for (const role of ["viewer", "operator", "admin"] as const) {
    const username = `${tag}-${role}-${++userSeq}`;
    const password = `${role}-password-${userSeq}`;
    const u = await server.services.auth.createUser(username, password, role);
    users[role] = { id: u.id, username, password };
    const c = new Client(server.url);
    const res = await c.login(username, password);
    if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status}`);
    cookies[role] = c;
    const t = new Client(server.url);
    t.bearer = (await server.services.auth.createToken(u.id, `${role}-token`)).token;
    tokens[role] = t;
  }
  return { ...cookies, tokens, users };
}

/**
 * A client holding the cookie of a session that has expired (a fresh row each call: the server
 * deletes an expired row on first sight, so every request gets a genuinely expired session).
 */
export async function expiredSession(server: TandemServer, userId: string): Promise<Client> {
  const secret = randomSecret();
  const csrfToken = randomSecret(24);
  await server.db.session.create({
    data: { id: sha256(secret), userId, csrfToken, expiresAt: new Date(Date.now() - 1000) },
  });
  const c = new Client(server.url);
  c.cookie = `${SESSION_COOKIE}=${secret}`;
  c.csrf = csrfToken;
  return c;
}

/** A bearer client whose token has been revoked. */
export async function revokedToken(server: TandemServer, userId: string) {
  const { token, info } = await server.services.auth.createToken(userId, "to-revoke");
  await server.services.auth.revokeToken(userId, info.id, false);
  const c = new Client(server.url);
  c.bearer = token;
  return c;
}

/** Sends a WebSocket upgrade through Tandem; resolves with the status and the first bytes after it. */
export function upgrade(
  base: string,
  pathname: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; first: Buffer }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: pathname,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": Buffer.from("tandem-test-key!").toString("base64"),
        ...headers,
      },
    });
    req.setTimeout(10_000, () => req.destroy(new Error("upgrade timed out")));
    req.on("upgrade", (res, sock, head: Buffer) => {
      const done = (d: Buffer) => {
        sock.destroy();
        resolve({ status: res.statusCode ?? 0, first: d });
      };
      if (head.length) done(head);
      else sock.once("data", done);
    });
    req.on("response", (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, first: Buffer.alloc(0) });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The payload of the first server-to-client WebSocket frame in `frame` (unmasked, as servers send). */
export function wsFramePayload(frame: Buffer): string {
  if (frame.length < 2) return "";
  let len = frame[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    len = frame.readUInt16BE(2);
    off = 4;
  }
  return frame.subarray(off, off + len).toString("latin1");
}

/** The credentials a Client would send, as upgrade headers. */
export function credentialHeaders(c: Client): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.cookie) h.cookie = c.cookie;
  if (c.bearer) h.authorization = `Bearer ${c.bearer}`;
  return h;
}
