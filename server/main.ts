// The composition root: the only module that chooses drivers. Parses the environment, builds
// the drivers, the Next.js page handler and the server, and handles SIGTERM gracefully
// (guests keep running; they belong to libvirtd and conmon, not to this process).
import path from "node:path";
import pino from "pino";
import { TANDEM_UMASK } from "./config/data-dir";
import { loadConfig, type Config } from "./config/env";
import type { GuestDriver } from "./domain/driver";
import type { ContainerImageImporter } from "./domain/images";
import { LOCAL_HOST_ID } from "./domain/ids";
import { FakeDriver } from "./drivers/fake/fake-driver";
import { ContainerDriver, OciImageStore } from "./drivers/container";
import { containerImporter } from "./drivers/container/importer";
import { LibvirtDriver } from "./drivers/vm";
import { startTandem, type PageHandler } from "./app-server";

async function createDrivers(
  config: Config,
  log: pino.Logger,
): Promise<{ drivers: GuestDriver[]; importer: ContainerImageImporter | null }> {
  const drivers: GuestDriver[] = [];
  let importer: ContainerImageImporter | null = null;
  for (const name of config.drivers) {
    if (name === "libvirt") {
      drivers.push(
        new LibvirtDriver({
          uri: config.libvirtUri,
          hostId: LOCAL_HOST_ID,
          dataDir: config.dataDir,
          accel: config.vmAccel,
          logger: log.child({ driver: "libvirt" }),
        }),
      );
    } else if (name === "oci") {
      drivers.push(
        new ContainerDriver({
          hostId: LOCAL_HOST_ID,
          dataDir: config.dataDir,
          subnet: config.containerSubnet,
          bridge: config.containerBridge,
          containerDiskGiB: config.containerDiskGiB,
          diskReserveBytes: config.diskReserveBytes,
          publishPortRange: config.publishPortRange,
          tandemPort: config.port,
          logger: log.child({ driver: "oci" }),
        }),
      );
      importer = containerImporter(new OciImageStore(config.dataDir, log.child({ component: "image-store" })));
    } else if (name === "fake") {
      const half = Math.ceil(config.fakeGuests / 2);
      drivers.push(new FakeDriver({ kind: "vm", hostId: LOCAL_HOST_ID, seed: half }));
      drivers.push(new FakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, seed: config.fakeGuests - half }));
    } else {
      throw new Error(`driver '${name}' is not available in this build`);
    }
  }
  return { drivers, importer };
}

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
  const { drivers, importer } = await createDrivers(config, log);
  const pages = config.ui ? await createPages(config) : null;
  const server = await startTandem({ config, drivers, containerImporter: importer, pages, log });
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
