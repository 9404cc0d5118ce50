// The services the transport layers (REST, socket.io) are given by the composition root, and
// the assembly of the guest services from their parts (one lock, one catalog, one task runner
// shared by lifecycle, snapshots and recovery).
import type { IncomingMessage } from "node:http";
import type { Db } from "../db/client";
import type { MetricsService } from "../metrics/metrics-service";
import type { AuthService } from "./auth-service";
import type { Bus } from "./bus";
import type { HostCapacity } from "./capacity";
import { ConsoleService } from "./console-service";
import type { ConsoleTickets } from "./console-tickets";
import type { DriverRegistry } from "./driver-registry";
import { GuestCatalog } from "./guest-catalog";
import { GuestDiskService } from "./guest-disks";
import { GuestLifecycle } from "./guest-lifecycle";
import { GuestLocks } from "./guest-locks";
import { GuestNicService } from "./guest-nic-service";
import { GuestNics } from "./guest-nics";
import { GuestService } from "./guest-service";
import { GuestTasks } from "./guest-tasks";
import { GuestWatcher } from "./guest-watcher";
import type { HostService } from "./host-service";
import type { ImageService } from "./image-service";
import type { LiveConnections } from "./live-connections";
import type { Logger } from "./logger";
import type { NetworkService } from "./network-service";
import type { NetworkFirewall } from "./network-firewall";
import type { PortForwards } from "./port-forwards";
import { GuestVolumes } from "./guest-volumes";
import type { StorageService } from "./storage-service";
import type { ClientInfo } from "./principal";
import { SnapshotService } from "./snapshot-service";
import { TaskRecovery } from "./task-recovery";
import type { TaskService } from "./task-service";

export interface Services {
  auth: AuthService;
  guests: GuestService;
  snapshots: SnapshotService;
  consoles: ConsoleService;
  images: ImageService;
  /** Networks VMs and containers plug into (rows, validation, realizers). */
  networks: NetworkService;
  /** Port forwards to guests on Tandem networks and guests' firewall rules. */
  forwards: PortForwards;
  /** The host firewall of Tandem networks: `refresh()` after NICs change. */
  netFirewall: NetworkFirewall;
  /** Pools and volumes (storage-service.ts) and a container's volumes (guest-volumes.ts). */
  storage: StorageService;
  guestVolumes: GuestVolumes;
  /** A VM's disks: list, add, detach, grow, move (guest-disks.ts). */
  disks: GuestDiskService;
  /** Guests' NICs on those networks: list, hotplug, removal. */
  nics: GuestNicService;
  tasks: TaskService;
  host: HostService;
  metrics: MetricsService;
  bus: Bus;
  consoleTickets: ConsoleTickets;
  /** Live sockets, shells, splices and follows per session/token/user: revocation reaches them. */
  live: LiveConnections;
  /** The client's real address and whether it came over TLS (trusted proxies considered). */
  clientOf: (req: IncomingMessage) => ClientInfo;
  config: { sessionTtlMs: number };
}

/** Everything that reaches a guest's driver, built over one registry, one lock set and one catalog. */
export function assembleGuestServices(deps: {
  drivers: DriverRegistry;
  db: Db;
  tasks: TaskService;
  images: ImageService;
  bus: Bus;
  capacity: () => HostCapacity;
  storage: StorageService;
  networks: NetworkService;
  log: Logger;
}) {
  const { drivers, db, tasks, images, bus, capacity, networks, log } = deps;
  const locks = new GuestLocks();
  const catalog = new GuestCatalog(drivers, db, bus, log);
  const guestTasks = new GuestTasks(locks, tasks, catalog);
  const nics = new GuestNics(db, networks, log);
  catalog.onNicsReleased((rows, name) => nics.released(rows, name));
  const lifecycle = new GuestLifecycle(drivers, catalog, locks, guestTasks, tasks, images, capacity, nics);
  lifecycle.useStorage(deps.storage);
  const disks = new GuestDiskService(drivers, catalog, guestTasks, deps.storage, db);
  lifecycle.useDisks(disks);
  const watcher = new GuestWatcher(drivers, catalog, db, bus, log);
  return {
    guests: new GuestService(catalog, lifecycle, watcher),
    snapshots: new SnapshotService(drivers, catalog, guestTasks),
    consoles: new ConsoleService(drivers, catalog),
    recovery: new TaskRecovery(drivers, catalog, guestTasks, tasks, log),
    guestVolumes: new GuestVolumes(catalog, locks, deps.storage),
    disks,
    nics: new GuestNicService(drivers, catalog, locks, nics),
    /** A create body's ports with nics become forwards (made after this assembly: it needs guests). */
    attachForwards: (forwards: PortForwards) => lifecycle.useForwards(forwards),
  };
}
