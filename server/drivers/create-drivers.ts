// The drivers a configuration asks for, built in one place for server/main.ts and for the fault
// tests' child process (which passes the host object names of its own test, so a test never
// touches a developer's Tandem on the same host). Every driver carries the host id it serves.
import type { Logger } from "pino";
import type { Config } from "../config/env";
import type { GuestDriver } from "../domain/driver";
import type { ContainerImageImporter } from "../domain/images";
import { ContainerDriver, OciImageStore } from "./container";
import { containerImporter } from "./container/importer";
import { FakeDriver } from "./fake/fake-driver";
import { NftHostFirewall } from "./netfilter/host-firewall";
import type { HostFirewall } from "../domain/host-firewall";
import { LibvirtDriver } from "./vm";

type VmOptions = ConstructorParameters<typeof LibvirtDriver>[0];
type ContainerOptions = ConstructorParameters<typeof ContainerDriver>[0];

export interface DriverOverrides {
  vm?: Partial<VmOptions>;
  container?: Partial<ContainerOptions>;
}

export function createDrivers(
  config: Config,
  hostId: string,
  log: Logger,
  overrides: DriverOverrides = {},
): { drivers: GuestDriver[]; importer: ContainerImageImporter | null; hostFirewall: HostFirewall | null } {
  const drivers: GuestDriver[] = [];
  let importer: ContainerImageImporter | null = null;
  for (const name of config.drivers) {
    if (name === "libvirt") {
      drivers.push(
        new LibvirtDriver({
          uri: config.libvirtUri,
          hostId,
          dataDir: config.dataDir,
          accel: config.vmAccel,
          logger: log.child({ driver: "libvirt" }),
          manageNetworks: true,
          manageStorage: true,
          ...overrides.vm,
        }),
      );
    } else if (name === "oci") {
      drivers.push(
        new ContainerDriver({
          hostId,
          dataDir: config.dataDir,
          subnet: config.containerSubnet,
          bridge: config.containerBridge,
          containerDiskGiB: config.containerDiskGiB,
          diskReserveBytes: config.diskReserveBytes,
          publishPortRange: config.publishPortRange,
          tandemPort: config.port,
          logger: log.child({ driver: "oci" }),
          ...overrides.container,
        }),
      );
      importer = containerImporter(new OciImageStore(config.dataDir, log.child({ component: "image-store" })));
    } else if (name === "fake") {
      const half = Math.ceil(config.fakeGuests / 2);
      drivers.push(new FakeDriver({ kind: "vm", hostId, seed: half }));
      drivers.push(new FakeDriver({ kind: "container", hostId, seed: config.fakeGuests - half }));
    } else {
      throw new Error(`driver '${name}' is not available in this build`);
    }
  }
  // Real guests on Tandem networks need the host firewall (netfilter/); fake ones do not.
  const real = config.drivers.some((d) => d !== "fake");
  return { drivers, importer, hostFirewall: real ? new NftHostFirewall() : null };
}
