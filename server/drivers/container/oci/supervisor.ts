// The supervisor: what happens when a container's init exits. conmon's exit file (reported by the
// exit watcher) or, when conmon itself was killed, the watchdog's finding that an init wanted
// running is gone without one, leads to one finalization (exit code and OOM recorded, runtime state,
// conmon and mounts released) and then the restart policy (restart.ts) with its backoff. All it
// touches goes through ports (records, crun/conmon, mounts, network, /proc, timers), so its logic is
// unit-tested with fakes (supervisor.test.ts) and run for real by the driver.
import { watch } from "node:fs";
import type { Logger } from "../../../domain/logger";
import type { ContainerRecord } from "./record";
import { restartDelayMs, shouldRestart } from "./restart";

export interface SupervisorPorts {
  records: {
    find(uuid: string): ContainerRecord | undefined;
    get(uuid: string): ContainerRecord;
    all(): ContainerRecord[];
    update(uuid: string, patch: Partial<ContainerRecord>): ContainerRecord;
  };
  /** The per-container lock every lifecycle operation takes. */
  locks: { run<T>(uuid: string, fn: () => Promise<T>): Promise<T>; held(uuid: string): boolean };
  /** /proc, conmon's exit file and the cgroup. */
  proc: {
    isAlive(uuid: string): boolean;
    hasExitFile(uuid: string): boolean;
    exitCode(uuid: string): number | null;
    oomKills(uuid: string): number;
  };
  /** crun + conmon. */
  runtime: {
    start(rec: ContainerRecord): Promise<void>;
    /** crun's state deleted, conmon gone. */
    release(uuid: string): Promise<void>;
    /** The exit file and conmon's socket link removed. */
    forgetExit(uuid: string): Promise<void> | void;
  };
  mounts: { unmountRoot(uuid: string): Promise<void> };
  /** Held ports and nft tables brought in line with the records. */
  network: { sync(): Promise<unknown> };
  /** A stop, shutdown or reboot is under way (the watchdog leaves the container alone). */
  transitioning(uuid: string): boolean;
  changed(uuid: string): void;
  timers: Timers;
  log: Logger;
}

export interface Timers {
  after(ms: number, fn: () => void): () => void;
  every(ms: number, fn: () => void): () => void;
}

export const realTimers: Timers = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

/** Calls onExit(fileName) for each exit file conmon writes in dir; returns the stop function. */
export function watchExitDir(dir: string, onExit: (file: string) => void): () => void {
  const w = watch(dir, (_ev, file) => {
    if (file) onExit(file);
  });
  return () => w.close();
}

/** An init killed by SIGKILL without a readable exit code (conmon gone) counts as 137. */
const KILLED = 137;

export class Supervisor {
  private readonly restarts = new Map<string, () => void>();
  private stopWatchdog: (() => void) | null = null;
  private closed = false;

  constructor(private readonly p: SupervisorPorts) {}

  /** Starts the watchdog: once a second, containers wanted running whose init vanished. */
  start(intervalMs = 1000): void {
    this.stopWatchdog = this.p.timers.every(intervalMs, () => this.checkLost());
  }

  /** A container found at start-up: an exit that happened while Tandem was away is handled now. */
  async adopt(rec: ContainerRecord): Promise<void> {
    if (this.p.proc.hasExitFile(rec.uuid)) await this.handleExit(rec.uuid);
    else if (rec.desired === "running" && !this.p.proc.isAlive(rec.uuid)) await this.handleExit(rec.uuid, true);
  }

  restartPending(uuid: string): boolean {
    return this.restarts.has(uuid);
  }

  cancelRestart(uuid: string): void {
    this.restarts.get(uuid)?.();
    this.restarts.delete(uuid);
  }

  /**
   * After the init died: record why (exit code; an OOM kill of init shows as SIGKILL, 137, with
   * the cgroup's oom_kill counter raised), then release crun's state, conmon and the mounts.
   */
  async finalizeExit(uuid: string, byUser: boolean): Promise<ContainerRecord> {
    const code = this.p.proc.exitCode(uuid) ?? KILLED;
    const oom = this.p.proc.oomKills(uuid);
    const rec = this.p.records.update(uuid, {
      oomKills: this.p.records.get(uuid).oomKills + oom,
      lastExit: { code, at: new Date().toISOString(), oomKilled: oom > 0 && code === KILLED, byUser },
    });
    await this.p.runtime.release(uuid);
    await this.p.mounts.unmountRoot(uuid);
    await this.p.runtime.forgetExit(uuid);
    return rec;
  }

  /**
   * Handles a container's exit once: inotify reports an exit file more than once (create, write),
   * so without the file (already finalized) there is nothing to do unless `lost` says the
   * container vanished without conmon writing one.
   */
  async handleExit(uuid: string, lost = false): Promise<void> {
    if (!this.p.records.find(uuid) || this.closed) return;
    await this.p.locks.run(uuid, async () => {
      const rec = this.p.records.find(uuid);
      if (!rec || rec.creating || this.p.proc.isAlive(uuid) || this.restarts.has(uuid)) return;
      if (!this.p.proc.hasExitFile(uuid) && !lost) return;
      const done = await this.finalizeExit(uuid, rec.desired !== "running");
      this.p.log.info({ id: rec.id, code: done.lastExit?.code, oom: done.lastExit?.oomKilled }, "container exited");
      this.p.changed(uuid);
      if (done.desired !== "running") return;
      if (shouldRestart(done.restartPolicy, done.lastExit?.code ?? KILLED, false)) {
        this.scheduleRestart(done);
      } else {
        this.p.records.update(uuid, { desired: "stopped" });
        await this.p.network.sync();
      }
    });
  }

  private scheduleRestart(rec: ContainerRecord): void {
    const uuid = rec.uuid;
    const cancel = this.p.timers.after(restartDelayMs(rec.restartCount), () => {
      this.restarts.delete(uuid);
      void this.p.locks
        .run(uuid, async () => {
          const cur = this.p.records.find(uuid);
          if (!cur || cur.desired !== "running" || this.p.proc.isAlive(uuid) || this.closed) return;
          this.p.records.update(uuid, { restartCount: cur.restartCount + 1 });
          await this.p.runtime.start(this.p.records.get(uuid));
          this.p.changed(uuid);
        })
        .catch((e: unknown) => this.p.log.error({ id: rec.id, err: String(e) }, "restart failed"));
    });
    this.restarts.set(uuid, cancel);
  }

  /** Containers wanted running whose init died without conmon writing an exit file. */
  checkLost(): void {
    if (this.closed) return;
    for (const rec of this.p.records.all()) {
      const uuid = rec.uuid;
      if (rec.creating || rec.desired !== "running" || this.p.locks.held(uuid) || this.restarts.has(uuid)) continue;
      // Alive first: the one /proc read that answers for nearly every container each second.
      if (this.p.transitioning(uuid) || this.p.proc.isAlive(uuid) || this.p.proc.hasExitFile(uuid)) continue;
      this.p.log.warn({ id: rec.id }, "container died without an exit file (was conmon killed?)");
      void this.handleExit(uuid, true).catch((e: unknown) =>
        this.p.log.error({ id: rec.id, err: String(e) }, "handling a lost container failed"),
      );
    }
  }

  /** No more exits handled, no more restarts. */
  close(): void {
    this.closed = true;
    this.stopWatchdog?.();
    for (const cancel of this.restarts.values()) cancel();
    this.restarts.clear();
  }
}
