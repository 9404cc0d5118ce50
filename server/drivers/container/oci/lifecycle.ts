// What a user's action does to a container: start (ports held first), stop (SIGKILL), shutdown
// (stop signal, then SIGKILL), reboot, pause, resume, and removal: everything the container owns
// goes (process, conmon, crun state, cgroup, mounts, netns, veth, files), except that a delete
// without purge keeps its writable layer, log and record in `kept-containers/<uuid>/`.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { canAct } from "../../../contract/states";
import type { GuestAction, GuestState } from "../../../contract/guest";
import { invalidState } from "../../../domain/errors";
import type { Logger } from "../../../domain/logger";
import { cgroupDirs, type CgroupLayout } from "./cgroups";
import type { ContainerLayout } from "./layout";
import { detachNics } from "./container-nics";
import type { Network } from "./network";
import type { ProcessControl } from "./process-control";
import type { PublishedPorts } from "./published-ports";
import type { ContainerRecord } from "./record";
import type { RootFs } from "./root-fs";
import type { Runtime } from "./runtime";
import type { RecordStore } from "./store";
import type { Supervisor } from "./supervisor";
import { discardLayerImage } from "./writable-layer";

export interface LifecycleDeps {
  layout: ContainerLayout;
  cgroups: CgroupLayout;
  store: RecordStore;
  process: ProcessControl;
  supervisor: Supervisor;
  ports: PublishedPorts;
  network: Network;
  rootFs: RootFs;
  runtime: Runtime;
  /** The state of a container now (deriveState with what the kernel says). */
  stateOf(rec: ContainerRecord): GuestState;
  changed(uuid: string): void;
  shutdownTimeoutMs: number;
  log: Logger;
}

export class Lifecycle {
  private readonly transitions = new Map<string, GuestState>();

  constructor(private readonly d: LifecycleDeps) {}

  /** A stop or shutdown under way shows as this state; null otherwise. */
  transition(uuid: string): GuestState | null {
    return this.transitions.get(uuid) ?? null;
  }

  /** Runs one action; the caller holds the container's lock. */
  async act(uuid: string, action: GuestAction): Promise<void> {
    const { store, process, supervisor, ports, runtime } = this.d;
    const state = this.d.stateOf(store.get(uuid));
    if (!canAct(state, action)) throw invalidState(`cannot ${action} a container that is ${state}`);
    const rid = this.d.layout.runtimeId(uuid);
    switch (action) {
      case "start": {
        supervisor.cancelRestart(uuid);
        store.update(uuid, { desired: "running", restartCount: 0 });
        try {
          await ports.publish(store.get(uuid));
          await process.start(store.get(uuid));
        } catch (e) {
          store.update(uuid, { desired: "stopped" });
          await ports.sync().catch(() => undefined);
          throw e;
        }
        await ports.sync();
        break;
      }
      case "stop":
      case "shutdown": {
        supervisor.cancelRestart(uuid);
        store.update(uuid, { desired: "stopped" });
        this.transitions.set(uuid, "shutting-down");
        this.d.changed(uuid);
        try {
          await process.killAndWait(uuid, action === "shutdown" ? this.d.shutdownTimeoutMs : 0);
          await supervisor.finalizeExit(uuid, true);
        } finally {
          this.transitions.delete(uuid);
        }
        await ports.sync();
        break;
      }
      case "reboot": {
        store.update(uuid, { desired: "stopped" });
        await process.killAndWait(uuid, this.d.shutdownTimeoutMs);
        await supervisor.finalizeExit(uuid, true);
        store.update(uuid, { desired: "running" });
        await process.start(store.get(uuid));
        break;
      }
      case "pause":
        await runtime.pause(rid);
        break;
      case "resume":
        await runtime.resume(rid);
        break;
    }
    this.d.changed(uuid);
  }

  /**
   * Removes a container; the caller holds its lock. With `purge` its writable layer goes too,
   * without it the layer (disk.ext4, or upper/ for a container without a disk), the log, the
   * bundle's config.json and the record are kept; returns where, or null.
   */
  async remove(rec: ContainerRecord, purge: boolean): Promise<string | null> {
    if (rec.creating) throw invalidState("cannot delete a container that is still being created");
    this.d.supervisor.cancelRestart(rec.uuid);
    this.d.store.update(rec.uuid, { desired: "stopped" });
    return this.teardown(this.d.store.get(rec.uuid), purge);
  }

  /** Everything a container owns goes: process, conmon, runtime state, cgroup, mounts, netns, files. */
  async teardown(rec: ContainerRecord, purge = true): Promise<string | null> {
    const { layout, process, rootFs } = this.d;
    const uuid = rec.uuid;
    const paths = layout.paths(uuid);
    await process.killAndWait(uuid, 0);
    // The init is gone: crun's state with conmon and the cgroups, the mounts, the netns and veth,
    // and the held ports with the tables are independent of each other now. All go at once, and
    // all settle before anything else is decided (a failure is thrown only then; the record
    // stays, and counts for the ports again at the next sync).
    const released = process.release(uuid).then(() => this.removeCgroups(uuid));
    const synced = this.d.ports
      .leave(uuid)
      .catch((e: unknown) => this.d.log.warn({ err: String(e) }, "port sync failed"));
    const gone = await Promise.allSettled([
      released,
      rootFs.unmount(uuid),
      this.d.network.detach(uuid),
      detachNics(rec),
      synced,
    ]);
    const failed = gone.find((r) => r.status === "rejected");
    if (!failed) this.d.store.forget(uuid);
    this.d.ports.left(uuid);
    if (failed) throw failed.reason;
    process.forgetExit(uuid);
    rootFs.assertUnmounted(uuid);
    const kept = purge ? null : this.keep(rec);
    void discardLayerImage(paths.diskImage, layout.containersDir, uuid).catch((e: unknown) =>
      this.d.log.warn({ uuid, err: String(e) }, "removing a container's disk image failed"),
    );
    rmSync(paths.dir, { recursive: true, force: true });
    return kept;
  }

  /** The container's cgroups, where crun's delete left one (it normally removes them). */
  private removeCgroups(uuid: string): void {
    for (const d of cgroupDirs(this.d.cgroups, this.d.layout.cgroupRel(uuid))) {
      try {
        if (existsSync(d)) rmSync(d, { recursive: false, force: true });
      } catch {
        // busy; reported by tests, not fatal here.
      }
    }
  }

  /** Moves what a delete without purge keeps out of the container's directory (renames only). */
  private keep(rec: ContainerRecord): string {
    const paths = this.d.layout.paths(rec.uuid);
    const dest = this.d.layout.keptPath(rec.uuid);
    mkdirSync(dest, { recursive: true, mode: 0o700 });
    const files: [string, string][] = [
      [paths.diskImage, "disk.ext4"],
      [paths.upper, "upper"],
      [paths.log, "ctr.log"],
      [paths.config, "config.json"],
    ];
    for (const [from, name] of files) if (existsSync(from)) renameSync(from, path.join(dest, name));
    writeFileSync(
      path.join(dest, "record.json"),
      JSON.stringify({ ...rec, keptAt: new Date().toISOString() }, null, 2),
      { mode: 0o600 },
    );
    this.d.log.info({ id: rec.id, dir: dest }, "container deleted; its writable layer and log were kept");
    return dest;
  }
}
