// A Tandem process for the fault tests: exactly server/main.ts's composition (startTandem with
// the real libvirt and OCI drivers), except that the host objects carry the test's own names
// (bridge, subnet, nft table, cgroup parent, netns prefix, libvirt network) so that a test never
// touches a developer's Tandem on the same host. Started by the tests as a child process, killed
// with SIGKILL mid-task, and started again on the same data directory.
import path from "node:path";
import pino from "pino";
import { startTandem } from "../../app-server";
import { TANDEM_UMASK } from "../../config/data-dir";
import { loadConfig } from "../../config/env";
import type { GuestDriver } from "../../domain/driver";
import type { ContainerImageImporter } from "../../domain/images";
import { LOCAL_HOST_ID } from "../../domain/ids";
import { ContainerDriver, OciImageStore } from "../../drivers/container";
import { containerImporter } from "../../drivers/container/importer";
import { FakeDriver } from "../../drivers/fake/fake-driver";
import { LibvirtDriver } from "../../drivers/vm";
import { faultNames } from "./names";

async function main() {
  process.umask(TANDEM_UMASK); // as server/main.ts
  const config = loadConfig();
  const tag = process.env.TANDEM_FAULT_TAG;
  if (!tag || !/^[0-9a-f]{6}$/.test(tag)) throw new Error("TANDEM_FAULT_TAG (6 hex digits) is required");
  const names = faultNames(tag);
  const log = pino({ level: config.logLevel, base: { svc: "tandem-fault" } });
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
          shutdownTimeoutMs: 5000,
          isolatedNetwork: names.vmNetwork,
        }),
      );
    } else if (name === "oci") {
      drivers.push(
        new ContainerDriver({
          hostId: LOCAL_HOST_ID,
          dataDir: config.dataDir,
          logger: log.child({ driver: "oci" }),
          bridge: names.bridge,
          subnet: names.subnet,
          nftTable: names.nftTable,
          cgroupParent: names.cgroupParent,
          netnsPrefix: names.netnsPrefix,
          shutdownTimeoutMs: 3000,
        }),
      );
      importer = containerImporter(new OciImageStore(config.dataDir, log.child({ component: "image-store" })));
    } else {
      drivers.push(new FakeDriver({ kind: "vm", hostId: LOCAL_HOST_ID, seed: config.fakeGuests }));
      drivers.push(new FakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, seed: config.fakeGuests }));
    }
  }
  const server = await startTandem({
    config,
    drivers,
    containerImporter: importer,
    log,
    demoImageDir: process.env.TANDEM_DEMO_DIR ?? path.join(config.dataDir, "images", "demo"),
  });
  process.stdout.write(`==> serving ${server.url}\n`);
  const stop = () => void server.close().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  process.stderr.write(`tandem failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
