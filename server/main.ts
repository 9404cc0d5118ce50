// The composition root: the only module that chooses drivers. Parses the environment, builds
// the drivers, the Next.js page handler and the server, and handles SIGTERM gracefully
// (guests keep running; they belong to libvirtd and conmon, not to this process).
import path from "node:path";
import pino from "pino";
import { TANDEM_UMASK } from "./config/data-dir";
import { loadConfig, type Config } from "./config/env";
import { LOCAL_HOST_ID } from "./domain/ids";
import { createDrivers } from "./drivers/create-drivers";
import { startTandem, type PageHandler } from "./app-server";

async function createPages(config: Config): Promise<PageHandler> {
  const { default: next } = await import("next");
  const app = next({
    dev: config.dev,
    dir: path.resolve(import.meta.dirname, ".."),
    hostname: config.host,
    port: config.port,
  });
  await app.prepare();
  const handle = app.getRequestHandler();
  return { handle: (req, res) => handle(req, res), close: () => app.close() };
}

async function main() {
  // Everything Tandem writes is private unless a mode says otherwise (the data-dir contract).
  process.umask(TANDEM_UMASK);
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { svc: "tandem" } });
  // This process serves one host, the local one; its drivers and guest ids carry its id.
  const hostId = LOCAL_HOST_ID;
  const { drivers, importer, hostFirewall } = createDrivers(config, hostId, log);
  const pages = config.ui ? await createPages(config) : null;
  const server = await startTandem({ config, drivers, hostId, containerImporter: importer, pages, log, hostFirewall });
  if (server.generatedAdminPassword) {
    // Printed once, on the first start only; it is not stored anywhere in clear.
    process.stdout.write(
      `\n  First start: created user 'admin' with password: ${server.generatedAdminPassword}\n  (set TANDEM_ADMIN_PASSWORD to choose it; change it under Settings)\n\n`,
    );
  }
  process.stdout.write(`==> serving ${server.url} (drivers: ${config.drivers.join(", ")})\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down; guests keep running");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await server.close().catch((err) => log.error({ err }, "shutdown failed"));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((err) => {
  process.stderr.write(`tandem failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
