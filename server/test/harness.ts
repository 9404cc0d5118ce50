// Starts a real Tandem server (real HTTP, socket.io, SQLite) on a free port with fake drivers,
// for API tests. Real-backend tests pass their own drivers.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { io, type Socket } from "socket.io-client";
import { startTandem, type TandemServer } from "../app-server";
import { loadConfig } from "../config/env";
import type { ClientToServerEvents, ServerToClientEvents } from "../contract/events";
import type { GuestDriver } from "../domain/driver";
import type { HostFirewall } from "../domain/host-firewall";
import { LOCAL_HOST_ID } from "../domain/ids";
import { FakeDriver } from "../drivers/fake/fake-driver";
import { ContainerDriver, OciImageStore } from "../drivers/container";
import { containerImporter } from "../drivers/container/importer";

export const ADMIN_PASSWORD = "admin-password-for-tests";

export interface TestServer extends TandemServer {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(
  opts: {
    /** Real-backend tests build their drivers inside the test's own data directory. */
    driverFactory?: (dataDir: string) => GuestDriver[];
    /** Use the OCI image store as the container importer (real container tests). */
    containers?: boolean;
    /** The host firewall of Tandem networks (a test's own NftHostFirewall table); none by default. */
    hostFirewall?: HostFirewall;
    demoImageDir?: string;
    /** Reuse this data directory (a restart); it is left in place on stop. */
    dataDir?: string;
    env?: Record<string, string>;
  } = {},
): Promise<TestServer> {
  const template = process.env.TANDEM_TEST_TEMPLATE_DB;
  if (!template) throw new Error("globalSetup did not prepare a template database");
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "tandem-test-"));
  const dbFile = path.join(dataDir, "tandem.db");
  if (!existsSync(dbFile)) copyFileSync(template, dbFile);
  const config = loadConfig({
    TANDEM_DATA_DIR: dataDir,
    TANDEM_PORT: "0",
    TANDEM_DRIVERS: "fake",
    TANDEM_UI: "off",
    TANDEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
    DATABASE_URL: `file:${dbFile}`,
    ...opts.env,
  });
  const drivers = opts.driverFactory?.(dataDir) ?? [
    new FakeDriver({ kind: "vm", hostId: LOCAL_HOST_ID, createDelayMs: 50 }),
    new FakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, createDelayMs: 50 }),
  ];
  const server = await startTandem({
    config,
    drivers,
    log: pino({ level: "silent" }),
    containerImporter: opts.containers ? containerImporter(new OciImageStore(dataDir)) : null,
    demoImageDir: opts.demoImageDir,
    hostFirewall: opts.hostFirewall ?? null,
  });
  return {
    ...server,
    dataDir,
    stop: async () => {
      await server.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in HTTP client that keeps the cookie and sends the CSRF token on writes. */
export class Client {
  cookie: string | null = null;
  csrf: string | null = null;
  bearer: string | null = null;
  constructor(readonly base: string) {}

  async login(username = "admin", password = ADMIN_PASSWORD): Promise<Response> {
    const res = await this.raw("POST", "/api/v1/session", { username, password });
    if (res.ok) {
      this.cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? null;
      this.csrf = ((await res.clone().json()) as { csrfToken: string }).csrfToken;
    }
    return res;
  }

  raw(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && !h["content-type"]) h["content-type"] = "application/json";
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== "GET" && h["x-csrf-token"] === undefined) h["x-csrf-token"] = this.csrf;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return fetch(this.base + p, { method, headers: h, body: payload, redirect: "manual" });
  }

  async json<T = Record<string, unknown>>(
    method: string,
    p: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const res = await this.raw(method, p, body);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }
}

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectSocket(
  base: string,
  opts: { cookie?: string | null; token?: string } = {},
): Promise<TestSocket> {
  const socket: TestSocket = io(base, {
    path: "/socket.io",
    transports: ["websocket"],
    reconnection: false,
    extraHeaders: opts.cookie ? { cookie: opts.cookie } : {},
    auth: opts.token ? { token: opts.token } : {},
  });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => {
      socket.close();
      reject(e);
    });
  });
}

/** Polls until `fn` returns a truthy value or the time is up. */
export async function until<T>(
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out waiting for condition");
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function cleanupDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A real container driver whose host objects carry the test's own names (bridge `tdm<tag>`, nft
 * table `tandem_<tag>`, cgroup parent `tandem-<tag>`, netns prefix `tdm<tag>-`), so that a test
 * never touches another test's or a developer's Tandem. Afterwards: `network.destroy()` and
 * `removeCgroupParent("tandem-<tag>")`.
 */
export function testContainerDriver(dataDir: string, tag: string, subnet: string): ContainerDriver {
  if (!/^[a-z0-9]{1,11}$/.test(tag)) throw new Error("tag: 1-11 lowercase letters/digits (bridge names are short)");
  return new ContainerDriver({
    hostId: LOCAL_HOST_ID,
    dataDir,
    logger: pino({ level: "silent" }),
    bridge: `tdm${tag}`,
    subnet,
    nftTable: `tandem_${tag}`,
    cgroupParent: `tandem-${tag}`,
    netnsPrefix: `tdm${tag}-`,
    shutdownTimeoutMs: 3000,
  });
}

/** Removes a test's (empty) cgroup parent from every hierarchy, v1 and v2. */
export function removeCgroupParent(name: string) {
  const roots = ["/sys/fs/cgroup", ...readdirSync("/sys/fs/cgroup").map((d) => path.join("/sys/fs/cgroup", d))];
  for (const root of roots) {
    try {
      rmdirSync(path.join(root, name));
    } catch {
      // absent, or not a hierarchy
    }
  }
}
