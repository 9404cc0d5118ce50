// The container driver's parts, wired together once the host's runtime is known: the
// supervisor's ports (crun and conmon through ProcessControl, mounts, network, /proc), lifecycle
// and creator over the same store, layout and network.
import type { GuestState } from "../../../contract/guest";
import type { DriverEvent } from "../../../domain/driver";
import type { Logger } from "../../../domain/logger";
import type { Confinement } from "./spec";
import { Creator } from "./create";
import { DiskSpares } from "./disk-spares";
import type { ContainerDriverOptions } from "./options";
import type { HostRuntime } from "./host";
import type { KeyedLock } from "./keyed-lock";
import type { ContainerLayout } from "./layout";
import { Lifecycle } from "./lifecycle";
import type { Network } from "./network";
import { ContainerProcs } from "./proc";
import { ProcessControl } from "./process-control";
import { PublishedPorts } from "./published-ports";
import type { ContainerRecord } from "./record";
import { RootFs } from "./root-fs";
import { Runtime } from "./runtime";
import { toDriverGuest } from "./state";
import type { RecordStore } from "./store";
import { realTimers, Supervisor } from "./supervisor";

/** The parts that exist once the host's runtime was found (the driver's init). */
export interface Parts {
  host: HostRuntime;
  runtime: Runtime;
  procs: ContainerProcs;
  ports: PublishedPorts;
  supervisor: Supervisor;
  lifecycle: Lifecycle;
  creator: Creator;
  disks: DiskSpares;
  /** The writable layer's size when a create names none; null: no size-limited layer. */
  defaultDiskGiB: number | null;
}

/** What the driver itself holds and hands to its parts. */
export interface Wiring {
  opts: ContainerDriverOptions;
  layout: ContainerLayout;
  store: RecordStore;
  network: Network;
  locks: KeyedLock;
  log: Logger;
  host: HostRuntime;
  confinement: Confinement;
  stateOf(rec: ContainerRecord): GuestState;
  changed(uuid: string): void;
  emit(e: DriverEvent): void;
}

export function assembleParts(w: Wiring): Parts {
  const { opts, layout, store, network, log, host, confinement } = w;
  const runtime = new Runtime(host.runtimeCommand, undefined, host.runtimePath);
  const procs = new ContainerProcs(layout, host.layout);
  const ports = new PublishedPorts(network, () => store.all(), log, opts.tandemPort);
  const rootFs = new RootFs(layout);
  const process = new ProcessControl({ layout, host, runtime, network, ports, rootFs, procs, store });
  let lifecycle: Lifecycle | null = null;
  const supervisor = new Supervisor({
    records: store,
    locks: w.locks,
    proc: procs,
    runtime: {
      start: (rec) => process.start(rec),
      release: (uuid) => process.release(uuid),
      forgetExit: (uuid) => process.forgetExit(uuid),
    },
    mounts: { unmountRoot: (uuid) => rootFs.unmount(uuid) },
    network: { sync: () => ports.sync() },
    transitioning: (uuid) => lifecycle?.transition(uuid) != null,
    changed: w.changed,
    timers: realTimers,
    log,
  });
  lifecycle = new Lifecycle({
    layout,
    cgroups: host.layout,
    store,
    process,
    supervisor,
    ports,
    network,
    rootFs,
    runtime,
    stateOf: w.stateOf,
    changed: w.changed,
    shutdownTimeoutMs: opts.shutdownTimeoutMs ?? 10_000,
    log,
  });
  const disks = new DiskSpares(layout.containersDir, log);
  const defaultDiskGiB = opts.diskQuota === false ? null : (opts.containerDiskGiB ?? 4);
  const creator = new Creator({
    hostId: opts.hostId,
    dataDir: opts.dataDir,
    rules: {
      host,
      publishPortRange: opts.publishPortRange ?? { first: 1024, last: 65535 },
      tandemPort: opts.tandemPort,
    },
    defaultDiskGiB,
    diskReserveBytes: opts.diskReserveBytes ?? 2 * 1024 ** 3,
    disks,
    userNamespace: opts.userNamespace !== false,
    layout,
    store,
    host,
    confinement,
    network,
    ports,
    rootFs,
    process,
    lifecycle,
    supervisor,
    toGuest: (uuid) => toDriverGuest(store.get(uuid), opts.hostId, w.stateOf(store.get(uuid))),
    emitCreating: (id) => w.emit({ type: "changed", id, state: "creating" }),
    emitRemoved: (id) => w.emit({ type: "removed", id }),
    changed: w.changed,
    log,
  });
  return { host, runtime, procs, ports, supervisor, lifecycle, creator, disks, defaultDiskGiB };
}
