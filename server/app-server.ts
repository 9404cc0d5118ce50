// Assembles one Tandem process from a Config and a set of drivers: database, services, REST,
// socket.io, the sampler and (optionally) the Next.js pages, all on one HTTP server (HTTPS when
// TANDEM_TLS_CERT/KEY are set). Used by main.ts and by the integration tests, so tests run
// exactly what production runs.
import { constants as fsConstants } from "node:fs";
import { access, mkdir, readFile } from "node:fs/promises";
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import path from "node:path";
import { getRequestListener } from "@hono/node-server";
import pino, { type Logger } from "pino";
import { applyDataDirContract, DATA_DIR_MODE } from "./config/data-dir";
import type { Config } from "./config/env";
import { openDb, type Db } from "./db/client";
import { canInspectDisks, type GuestDriver } from "./domain/driver";
import type { ContainerImageImporter } from "./domain/images";
import { LOCAL_HOST_ID } from "./domain/ids";
import { createApiApp } from "./http/app";
import { buildOpenApi } from "./http/openapi";
import { consoleRoutes } from "./http/routes/consoles";
import { guestDiskRoutes } from "./http/routes/guest-disks";
import { guestRoutes } from "./http/routes/guests";
import { miscRoutes } from "./http/routes/misc";
import { guestNicRoutes } from "./http/routes/guest-nics";
import { networkRoutes } from "./http/routes/networks";
import { storageRoutes } from "./http/routes/storage";
import { prometheusRoutes } from "./http/routes/prometheus";
import { API_SECURITY_HEADERS, pageSecurityHeaders } from "./http/security-headers";
import { clientOf, HSTS_HEADER, readCookie, trustedProxies } from "./transport-shared/connection";
import { sessionRoutes } from "./http/routes/session";
import { tokenAndUserRoutes } from "./http/routes/tokens-users";
import type { AnyRoute } from "./http/route";
import { MetricsService } from "./metrics/metrics-service";
import { createPrometheusRegistry } from "./metrics/prometheus";
import { attachSocketServer } from "./realtime/socket-server";
import { handleVncUpgrade, VNC_PATH } from "./realtime/vnc-proxy";
import { AuthService, SESSION_COOKIE } from "./services/auth-service";
import { Bus } from "./services/bus";
import { ConsoleTickets } from "./services/console-tickets";
import { DeviceTrust } from "./services/device-trust";
import { LiveConnections } from "./services/live-connections";
import { DriverRegistry } from "./services/driver-registry";
import { HostService } from "./services/host-service";
import { ImageService } from "./services/image-service";
import { NetworkService, type NetworkRealizer } from "./services/network-service";
import { NetworkFirewall } from "./services/network-firewall";
import { PortForwards } from "./services/port-forwards";
import { forwardRoutes } from "./http/routes/forwards";
import type { HostFirewall } from "./domain/host-firewall";
import { StorageService } from "./services/storage-service";
import type { StorageBackend, VolumeMountCapable } from "./domain/storage";
import { assembleGuestServices, type Services } from "./services";
import { TaskService } from "./services/task-service";
import type { GuestKind } from "./contract/guest";
import type { MetricPoint } from "./contract/metrics";

export interface PageHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

export interface TandemServer {
  http: Server;
  url: string;
  services: Services;
  /** The drivers by (host, kind): for tests that reach behind the services on purpose. */
  drivers: DriverRegistry;
  db: Db;
  log: Logger;
  /** Printed once on first start when no admin password was given. */
  generatedAdminPassword: string | null;
  /** The REST route table as registered (method, path, access): for the docs and the access tests. */
  routes: readonly AnyRoute[];
  close(): Promise<void>;
}

/** Paths any visitor may load: the login page and the static assets it needs. */
const PUBLIC_PAGE = /^\/(login(\/|$)|_next\/|favicon\.ico$|icon\.svg$)/;

export async function startTandem(opts: {
  config: Config;
  /** This host's drivers; each is registered under (hostId, its kind). */
  drivers: GuestDriver[];
  /** The id of the host this process runs on (domain/ids.ts LOCAL_HOST_ID unless told). */
  hostId?: string;
  containerImporter?: ContainerImageImporter | null;
  pages?: PageHandler | null;
  log?: Logger;
  demoImageDir?: string;
  /** The host firewall of Tandem networks (server/drivers/netfilter); null: none (fake drivers). */
  hostFirewall?: HostFirewall | null;
}): Promise<TandemServer> {
  const { config } = opts;
  const log = opts.log ?? pino({ level: config.logLevel, base: { svc: "tandem" } });
  await mkdir(config.dataDir, { recursive: true, mode: DATA_DIR_MODE });
  // Refuse to start on a data directory that cannot be written, with a message that says so.
  await access(config.dataDir, fsConstants.W_OK).catch((e: NodeJS.ErrnoException) => {
    throw new Error(
      `the data directory ${config.dataDir} is not writable (${e.code}): Tandem keeps its database, images and guest files there`,
    );
  });
  // Before anything is written: no local user may read the database or list guests' files.
  applyDataDirContract(config.dataDir, config.databaseUrl);
  const db = await openDb(config.databaseUrl).catch((e: Error) => {
    throw new Error(`cannot open the database ${config.databaseUrl}: ${e.message.trim().split("\n").pop()}`);
  });

  const bus = new Bus();
  const live = new LiveConnections();
  const devices = await DeviceTrust.load(path.join(config.dataDir, "device-key"));
  if (!devices.persistent) log.warn("cannot store the device-cookie key; browsers are trusted until restart only");
  const auth = new AuthService(db, { sessionTtlMs: config.sessionTtlMs, tokenTtlMs: config.tokenTtlMs, live, devices });
  const proxies = trustedProxies(config.trustedProxies);
  const clientOfReq = (req: IncomingMessage) => clientOf(req, proxies);
  const hostId = opts.hostId ?? LOCAL_HOST_ID;
  const drivers = new DriverRegistry(hostId);
  for (const d of opts.drivers) drivers.register(hostId, d);
  const tasks = new TaskService(db, bus, log);
  const interrupted = await tasks.failInterrupted();
  if (interrupted.length) {
    log.warn({ interrupted: interrupted.length }, "marked tasks left running by a previous process as failed");
  }
  const images = new ImageService(
    db,
    path.join(config.dataDir, "images"),
    {
      maxUploadBytes: config.maxUploadBytes,
      maxUnpackedBytes: config.maxUnpackedBytes,
      diskReserveBytes: config.diskReserveBytes,
    },
    opts.containerImporter ?? null,
    drivers.drivers().find(canInspectDisks) ?? null,
  );
  await images.registerDemoImages(opts.demoImageDir ?? path.join(config.dataDir, "images", "demo"));

  // Each driver that can set a network up on the host registers its realizer (the VM driver's
  // libvirt networks when it manages networks) before the default network is made.
  const networks = new NetworkService(db, {
    taken: [{ cidr: config.containerSubnet, what: "the container subnet (TANDEM_CONTAINER_SUBNET)" }],
    log,
  });
  for (const d of drivers.drivers()) {
    const realizer = (d as { networkRealizer?: NetworkRealizer | null }).networkRealizer;
    if (realizer) networks.addRealizer(realizer);
  }
  // Storage: the pools of the driver that has them (the VM driver's libvirt pools) and the
  // container driver's mounts for file-system volumes.
  const storage = new StorageService({
    db,
    backend:
      drivers
        .drivers()
        .map((d) => (d as { storage?: StorageBackend | null }).storage ?? null)
        .find((s) => s !== null) ?? null,
    mounter:
      drivers
        .drivers()
        .map((d) => (d as { volumeMounts?: VolumeMountCapable | null }).volumeMounts ?? null)
        .find((m) => m !== null) ?? null,
    bindRoots: config.bindMountRoots,
    log,
  });
  let host: HostService | null = null;
  const { disks, guestVolumes, guests, snapshots, consoles, recovery, nics, attachForwards } = assembleGuestServices({
    drivers,
    db,
    tasks,
    images,
    bus,
    capacity: () => host!.capacity(),
    storage,
    networks,
    log,
  });
  host = new HostService(hostId, config.dataDir, drivers.drivers(), guests);

  // The sampler needs the running guests of each kind every second without listing them each
  // tick: keep a set fed by guest events and refreshed from a full list every 30 s.
  const running = new Map<string, GuestKind>();
  const refreshRunning = async () => {
    const list = await guests.list();
    running.clear();
    for (const g of list) if (g.state === "running") running.set(g.id, g.kind);
  };
  bus.on("guest:upsert", (g) => (g.state === "running" ? running.set(g.id, g.kind) : running.delete(g.id)));
  bus.on("guest:removed", ({ id }) => {
    running.delete(id);
    metrics.forget(id);
  });

  let publishPoints: (p: Map<string, MetricPoint>) => void = () => {};
  const metrics = new MetricsService(
    drivers.drivers(),
    (kind) => [...running].filter(([, k]) => k === kind).map(([id]) => id),
    db,
    hostId,
    (p) => publishPoints(p),
    log,
  );

  // The firewall of Tandem networks is the last realizer: a network it cannot cover is refused.
  // It is applied at start, and again when a guest changes or goes (its NICs may have).
  const netFirewall = new NetworkFirewall(db, opts.hostFirewall ?? null, log);
  networks.addRealizer(netFirewall.realizer());
  await networks.ensureDefault();
  await networks.restoreVlans();
  await netFirewall.refresh();
  const logFailure = (err: unknown) => log.error({ err }, "network firewall");
  bus.on("guest:upsert", () => void netFirewall.refresh().catch(logFailure));
  bus.on("guest:removed", ({ id }) => void netFirewall.forgetGuest(id).catch(logFailure));
  // NICs added, removed or readdressed (guest-nics.ts): the rules keyed on them follow at once.
  nics.afterChange(async () => void (await netFirewall.refresh()));
  const forwards = new PortForwards(db, netFirewall, {
    range: config.publishPortRange,
    tandemPort: config.port,
    guestName: async (id) => (await guests.get(id)).name,
  });
  attachForwards(forwards);

  const services: Services = {
    storage,
    guestVolumes,
    disks,
    auth,
    guests,
    snapshots,
    consoles,
    images,
    networks,
    nics,
    forwards,
    netFirewall,
    tasks,
    host,
    metrics,
    bus,
    consoleTickets: new ConsoleTickets(),
    live,
    clientOf: clientOfReq,
    config: { sessionTtlMs: config.sessionTtlMs },
  };

  const generatedAdminPassword = await auth.ensureAdmin(config.adminPassword);

  // One port either way; with a certificate it speaks only TLS (socket.io and the VNC upgrade too).
  const http: Server = config.tls
    ? createHttpsServer({
        cert: await readFile(config.tls.certPath).catch((e: Error) => {
          throw new Error(`cannot read TANDEM_TLS_CERT ${config.tls!.certPath}: ${e.message}`);
        }),
        key: await readFile(config.tls.keyPath).catch((e: Error) => {
          throw new Error(`cannot read TANDEM_TLS_KEY ${config.tls!.keyPath}: ${e.message}`);
        }),
      })
    : createServer();
  const realtime = attachSocketServer(http, services, log);
  publishPoints = realtime.publishPoints;
  const registry = createPrometheusRegistry({
    metrics,
    guests: () => guests.list(),
    connectedClients: realtime.connectedClients,
  });

  const routes: AnyRoute[] = [];
  const openapi = buildOpenApiOnce(() => routes);
  routes.push(
    ...sessionRoutes(services),
    ...tokenAndUserRoutes(services),
    ...guestRoutes(services),
    ...networkRoutes(services),
    ...guestNicRoutes(services),
    ...forwardRoutes(services),
    ...storageRoutes(services),
    ...guestDiskRoutes(services),
    ...consoleRoutes(services),
    ...miscRoutes(services, openapi),
    ...prometheusRoutes(registry),
  );
  const api = getRequestListener(createApiApp({ auth, log, routes, clientOf: clientOfReq }).fetch);

  http.on("request", (req, res) => {
    const url = req.url ?? "/";
    if (url.startsWith("/socket.io")) return; // socket.io answers these itself
    if (url.startsWith("/api/") || url === "/healthz" || url.startsWith("/metrics")) {
      void api(req, res);
      return;
    }
    void servePage(req, res);
  });

  // Requests Node's parser refuses (oversized head, malformed syntax) get the same JSON error
  // shape and headers as every other refusal instead of Node's bare status line.
  http.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (err.code === "ECONNRESET" || !socket.writable) return void socket.destroy();
    const [status, code]: [number, string] =
      err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "HEADERS_TOO_LARGE"]
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? [408, "REQUEST_TIMEOUT"]
          : [400, "BAD_REQUEST"];
    const message =
      status === 431 ? "the request line and headers are limited to 16 KiB" : "the request could not be parsed";
    const body = JSON.stringify({ error: { code, message } });
    const headers = Object.entries(API_SECURITY_HEADERS)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join("");
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`,
    );
  });

  http.on("upgrade", (req, socket, head) => {
    const url = req.url ?? "";
    if (VNC_PATH.test(url)) void handleVncUpgrade(req, socket, head, services, log);
    // socket.io answers its own path; Next's dev server its HMR socket; nothing else upgrades.
    else if (!url.startsWith("/socket.io") && !(config.dev && url.startsWith("/_next"))) socket.destroy();
  });

  const pageHeaders = Object.entries(pageSecurityHeaders(config.dev));
  async function servePage(req: IncomingMessage, res: ServerResponse) {
    try {
      const url = req.url ?? "/";
      // Set before anything answers, so redirects and errors carry them too.
      for (const [name, value] of pageHeaders) res.setHeader(name, value);
      const client = clientOfReq(req);
      if (client.secure) res.setHeader("Strict-Transport-Security", HSTS_HEADER);
      if (!opts.pages) {
        res
          .writeHead(404, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "NOT_FOUND", message: "the UI is not enabled" } }));
        return;
      }
      const pathname = url.split("?")[0] ?? "/";
      if (!PUBLIC_PAGE.test(pathname)) {
        const cookie = readCookie(req.headers.cookie, SESSION_COOKIE, client.secure);
        if (!(await auth.fromSessionCookie(cookie))) {
          res.writeHead(302, { location: `/login?next=${encodeURIComponent(url)}` }).end();
          return;
        }
      }
      await opts.pages.handle(req, res);
    } catch (err) {
      log.error({ err }, "page failed");
      if (!res.headersSent) res.writeHead(500).end("internal error");
    }
  }

  // Tasks cut short by the previous process's end: finished or rolled back, never left half-done.
  await recovery.recover(interrupted);
  await guests.reconcile().catch((err) => log.warn({ err }, "initial reconcile failed"));
  guests.watch();
  await refreshRunning().catch(() => {});
  const refreshTimer = setInterval(() => void refreshRunning().catch(() => {}), 30_000);
  metrics.start();

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(config.port, config.host, () => resolve());
  });
  const addr = http.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const url = `${config.tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;

  let closing: Promise<void> | null = null;
  return {
    http,
    url,
    services,
    drivers,
    db,
    log,
    generatedAdminPassword,
    routes,
    close: () =>
      (closing ??= (async () => {
        clearInterval(refreshTimer);
        live.close();
        guests.stop();
        await realtime.close();
        http.closeAllConnections();
        await new Promise<void>((r) => http.close(() => r()));
        await metrics.stop();
        // Drivers release their connections; guests keep running (conmon and libvirtd own them).
        await Promise.all(drivers.drivers().map((d) => d.close().catch(() => {})));
        // Held forward ports are let go; the tables stay, so forwards keep working.
        netFirewall.close();
        await opts.pages?.close();
        await db.$disconnect();
      })()),
  };
}

function buildOpenApiOnce(routes: () => AnyRoute[]) {
  let doc: object | null = null;
  return () => (doc ??= buildOpenApi(routes()));
}
