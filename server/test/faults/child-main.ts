// A Tandem process for the fault tests: exactly server/main.ts's composition (createDrivers and
// startTandem with the real libvirt and OCI drivers), except that the host objects carry the test's own names
// (bridge, subnet, nft table, cgroup parent, netns prefix, libvirt network) so that a test never
// touches a developer's Tandem on the same host, and that one driver call may be held
// (held-calls.ts). Started by the tests as a child process, killed with SIGKILL mid-task, and
// started again on the same data directory.
import path from "node:path";
import pino from "pino";
import { startTandem } from "../../app-server";
import { TANDEM_UMASK } from "../../config/data-dir";
import { loadConfig } from "../../config/env";
import { LOCAL_HOST_ID } from "../../domain/ids";
import { createDrivers } from "../../drivers/create-drivers";
import { holdingDrivers } from "./held-calls";
import { faultNames } from "./names";

async function main() {
  process.umask(TANDEM_UMASK); // as server/main.ts
  const config = loadConfig();
  const tag = process.env.TANDEM_FAULT_TAG;
  if (!tag || !/^[0-9a-f]{6}$/.test(tag)) throw new Error("TANDEM_FAULT_TAG (6 hex digits) is required");
  const names = faultNames(tag);
  const log = pino({ level: config.logLevel, base: { svc: "tandem-fault" } });
  const { drivers, importer } = createDrivers(config, LOCAL_HOST_ID, log, {
    // No libvirt networks for Tandem networks: the fault runs must not leave a default NAT network.
    vm: { shutdownTimeoutMs: 5000, isolatedNetwork: names.vmNetwork, manageNetworks: false },
    container: {
      bridge: names.bridge,
      subnet: names.subnet,
      nftTable: names.nftTable,
      cgroupParent: names.cgroupParent,
      netnsPrefix: names.netnsPrefix,
      shutdownTimeoutMs: 3000,
    },
  });
  const server = await startTandem({
    config,
    drivers: holdingDrivers(drivers),
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
