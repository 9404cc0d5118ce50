// Creating a container, step by step from the planner's record: its directory, an address and
// network, held ports, the writable layer and root file system, /etc files, config.json, then the
// first start (unless `start: false`). A failure anywhere tears down what was made; a Tandem
// killed half-way leaves `creating` in the record, which the next start-up tears down.
import { randomUUID } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DriverGuest, GuestSpec, Progress } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import { assertFreeSpace } from "../../../domain/free-space";
import { makeGuestId } from "../../../domain/ids";
import type { Logger } from "../../../domain/logger";
import { swapAccounted } from "./cgroups";
import { hostnameFor, planRecord, uuidFor, validateCreate, type CreateRules } from "./create-plan";
import type { HostRuntime } from "./host";
import { allocateIdRange, hostSubIdRanges } from "./idmap-ranges";
import type { DiskSpares } from "./disk-spares";
import { attachNics, nicsResolvConf, planNics } from "./container-nics";
import { resolveImageLayers } from "./image-layout";
import type { ContainerLayout } from "./layout";
import type { Lifecycle } from "./lifecycle";
import { allocateIp, type Network } from "./network";
import type { ProcessControl } from "./process-control";
import type { PublishedPorts } from "./published-ports";
import { imageUser, writeEtc, type RootFs } from "./root-fs";
import { buildSpec, type Confinement } from "./spec";
import type { RecordStore } from "./store";
import type { Supervisor } from "./supervisor";
import { GiB, preallocateLayerImage } from "./writable-layer";

export interface CreateDeps {
  hostId: string;
  dataDir: string;
  rules: CreateRules;
  /** Writable-layer size when the body names none; null: no size-limited layer (benchmark only). */
  defaultDiskGiB: number | null;
  diskReserveBytes: number;
  /** Formatted disk images made ahead of time. */
  disks: DiskSpares;
  /** false: no user namespace (benchmark baseline only). */
  userNamespace: boolean;
  layout: ContainerLayout;
  store: RecordStore;
  host: HostRuntime;
  confinement: Confinement;
  network: Network;
  ports: PublishedPorts;
  rootFs: RootFs;
  process: ProcessControl;
  lifecycle: Lifecycle;
  supervisor: Supervisor;
  toGuest(uuid: string): DriverGuest;
  emitCreating(id: string): void;
  emitRemoved(id: string): void;
  changed(uuid: string): void;
  log: Logger;
}

export class Creator {
  private ipLock: Promise<unknown> = Promise.resolve();

  constructor(private readonly d: CreateDeps) {}

  async create(spec: GuestSpec<"container">, progress: (p: Progress) => void): Promise<DriverGuest> {
    const { store, layout, network, log } = this.d;
    validateCreate(spec, this.d.rules, store.all());
    const uuid = uuidFor(spec, randomUUID);
    if (store.has(uuid)) throw new AppError("CONFLICT", `container ${uuid} already exists`);
    const id = makeGuestId(this.d.hostId, "container", uuid);
    const paths = layout.paths(uuid);
    let layers;
    try {
      layers = resolveImageLayers(spec.resolvedImage.path, spec.resolvedImage.meta);
    } catch (e) {
      throw new AppError("VALIDATION", e instanceof Error ? e.message : String(e));
    }
    const diskGiB = this.d.defaultDiskGiB === null ? null : (spec.diskGiB ?? this.d.defaultDiskGiB);
    if (diskGiB !== null) {
      assertFreeSpace(this.d.dataDir, diskGiB * GiB, this.d.diskReserveBytes, "the container's disk");
    }
    if (this.d.userNamespace) assertTraversable(layout.containersDir);
    let rec = planRecord(spec, {
      uuid,
      id,
      layers,
      diskGiB,
      // Allocated and saved with no await in between: two creates cannot take the same block.
      idRange: this.d.userNamespace ? this.allocateIds() : null,
      now: new Date().toISOString(),
    });
    mkdirSync(paths.dir, { recursive: true });
    if (rec.idRange) {
      // Reachable by the container's mapped root (group), by nobody else but root.
      chownSync(paths.dir, 0, rec.idRange.start);
      chmodSync(paths.dir, 0o710);
    }
    store.save(rec);
    // Mounted at each start (process-control.ts); the storage service checked them.
    if (spec.resolvedVolumes?.length || spec.resolvedBinds?.length) {
      rec = store.update(uuid, { volumes: spec.resolvedVolumes ?? [], binds: spec.resolvedBinds ?? [] });
    }
    this.d.emitCreating(id);
    try {
      progress({ percent: 10, message: "preparing network" });
      const netMode = rec.network.mode;
      if (spec.resolvedNics?.length) rec = await this.allocateNics(uuid, spec.resolvedNics);
      if (rec.idRange) {
        // The netns is made by crun at each start (process-control.ts); only the address now
        // (saved by allocate: the planned record has no netns, veth or address yet).
        if (netMode === "bridge") await this.allocate(uuid);
        rec = store.get(uuid);
      } else if (netMode === "bridge") {
        const ip = await this.allocate(uuid);
        const { netns, hostVeth } = await network.attach(uuid, ip);
        rec = store.update(uuid, { network: { mode: "bridge", netns, hostVeth, ip } });
      } else {
        const { netns } = await network.isolated(uuid);
        rec = store.update(uuid, { network: { mode: "none", netns, hostVeth: null, ip: null } });
        await attachNics(rec, netns);
      }
      // Ports held (or refused) and the address pinned before anything of the container runs; the
      // nft transaction overlaps the root file system's preparation (awaited below).
      const published = this.d.ports.publish(rec);
      published.catch(() => undefined);
      progress({ percent: 30, message: "preparing root file system" });
      if (rec.diskGiB) await this.d.disks.take(paths.diskImage, rec.diskGiB * GiB);
      // Preallocating overlaps the mounts (both need only the formatted image); both settle
      // before a failure is thrown, so the cleanup never races a mount still in progress.
      const steps = await Promise.allSettled([
        rec.diskGiB ? preallocateLayerImage(paths.diskImage, rec.diskGiB * GiB) : undefined,
        this.d.rootFs.mount(rec),
      ]);
      for (const r of steps) if (r.status === "rejected") throw r.reason;
      await published;
      const hostname = hostnameFor(spec);
      writeEtc(
        paths,
        hostname,
        rec.network.ip ?? rec.nics[0]?.ip ?? null,
        network.subnet.gateway,
        rec.idRange?.start ?? null,
        rec.nics.length ? nicsResolvConf(paths, rec) : undefined,
      );
      const oci = buildSpec({
        image: layers.config,
        rootfs: paths.rootfs,
        hostname,
        command: spec.command,
        env: spec.env,
        workingDir: spec.workingDir,
        vcpus: spec.vcpus,
        memoryMiB: spec.memoryMiB,
        pidsLimit: spec.pidsLimit ?? null,
        tiniPath: this.d.host.tiniPath,
        netnsPath: rec.idRange ? null : network.netnsPath(uuid),
        userns: rec.idRange,
        cgroupsPath: layout.cgroupRel(uuid),
        etcFiles: {
          hostname: path.join(paths.etc, "hostname"),
          hosts: path.join(paths.etc, "hosts"),
          resolvConf: path.join(paths.etc, "resolv.conf"),
        },
        user: imageUser(paths.rootfs, layers.config.config?.User, log),
        swapAccounting: swapAccounted(this.d.host.layout),
        confinement: this.d.confinement,
        annotations: { "io.tandem.id": id, "io.tandem.name": spec.name },
      });
      mkdirSync(paths.bundle, { recursive: true });
      writeFileSync(paths.config, JSON.stringify(oci, null, 2));
      if (rec.desired === "running") {
        progress({ percent: 60, message: "starting container" });
        await this.d.process.start(rec);
      } else {
        await this.d.rootFs.unmount(uuid);
      }
      store.update(uuid, { creating: false });
      await this.d.ports.sync();
      progress({ percent: 100, message: "container ready" });
      this.d.changed(uuid);
      // An init that died during create (bad command) left its exit file unhandled.
      if (existsSync(layout.exitFile(uuid))) void this.d.supervisor.handleExit(uuid);
      log.info({ id, name: spec.name }, "container created");
      return this.d.toGuest(uuid);
    } catch (e) {
      log.error({ id, err: String(e) }, "container creation failed");
      await this.d.lifecycle
        .teardown(store.get(uuid))
        .catch((err: unknown) => log.error({ id, err: String(err) }, "cleanup after failed create failed"));
      this.d.emitRemoved(id);
      throw e instanceof AppError
        ? e
        : new AppError("INTERNAL", `container creation failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      // The next create of this size finds its disk formatted.
      if (rec.diskGiB) this.d.disks.refill(rec.diskGiB * GiB);
    }
  }

  /** The lowest free address, saved before the next create picks one. */
  private allocate(uuid: string): Promise<string> {
    const { store, network } = this.d;
    const next = this.ipLock.then(() => {
      const used = store.all().flatMap((r) => (r.network.ip ? [r.network.ip] : []));
      const ip = allocateIp(network.subnet, used);
      store.update(uuid, { network: { ...store.get(uuid).network, ip } });
      return ip;
    });
    this.ipLock = next.catch(() => undefined);
    return next;
  }

  /** Addresses for the NICs on Tandem networks, saved before the next create picks any. */
  private allocateNics(uuid: string, nics: NonNullable<GuestSpec["resolvedNics"]>) {
    const { store } = this.d;
    const next = this.ipLock.then(() => store.update(uuid, { nics: planNics(uuid, nics) }));
    this.ipLock = next.catch(() => undefined);
    return next;
  }

  /**
   * Ids for a new user-namespaced container: the lowest free block, skipping every container's
   * (records, including ones being created) and what /etc/subuid and /etc/subgid hand out.
   */
  private allocateIds(): { start: number; size: number } {
    const taken = this.d.store.all().flatMap((r) => (r.idRange ? [r.idRange] : []));
    try {
      return allocateIdRange([...taken, ...hostSubIdRanges()]);
    } catch (e) {
      throw new AppError("INSUFFICIENT_RESOURCES", e instanceof Error ? e.message : String(e));
    }
  }
}

/**
 * A user-namespaced root resolves its rootfs path as an unprivileged uid: every directory
 * above its own must be searchable by others (the data directory is 0711 by contract).
 */
function assertTraversable(dir: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      throw new AppError(
        "BACKEND_UNAVAILABLE",
        `containers cannot reach their root file systems: ${d} must be searchable by others (mode ${(mode & 0o777).toString(8)}, needs o+x)`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}
