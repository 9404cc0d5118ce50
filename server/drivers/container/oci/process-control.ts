// A container's process under conmon and crun: start (root file system mounted, network ready,
// conmon running `crun create`, the user-namespaced netns named and wired, `crun start`), signals
// with a grace period, and releasing what an exited init leaves (crun's state, conmon, the exit
// file). What to do when is lifecycle.ts's and supervisor.ts's business.
import { existsSync, rmSync, watch } from "node:fs";
import { AppError } from "../../../domain/errors";
import { applySpecMounts, mountVolumes } from "./volumes";
import { launchConmon } from "./conmon";
import type { HostRuntime } from "./host";
import type { ContainerLayout } from "./layout";
import { attachNics } from "./container-nics";
import type { Network } from "./network";
import type { ContainerProcs } from "./proc";
import type { PublishedPorts } from "./published-ports";
import type { ContainerRecord } from "./record";
import type { RootFs } from "./root-fs";
import type { Runtime } from "./runtime";
import type { RecordStore } from "./store";

export interface ProcessDeps {
  layout: ContainerLayout;
  host: HostRuntime;
  runtime: Runtime;
  network: Network;
  ports: PublishedPorts;
  rootFs: RootFs;
  procs: ContainerProcs;
  store: RecordStore;
}

export class ProcessControl {
  constructor(private readonly d: ProcessDeps) {}

  /** Mounts, launches conmon (which runs `crun create`), then `crun start`. */
  async start(rec: ContainerRecord): Promise<void> {
    const { layout, network } = this.d;
    const uuid = rec.uuid;
    const paths = layout.paths(uuid);
    const rid = layout.runtimeId(uuid);
    if (this.d.runtime.known(rid)) await this.d.runtime.delete(rid);
    rmSync(layout.exitFile(uuid), { force: true });
    rmSync(paths.pidFile, { force: true });
    rmSync(layout.socketLink(uuid), { force: true });
    // Pins and held ports are in place before the veth and the process come up (a no-op when
    // nothing changed; restarts after Tandem's own restart may come before its first sync).
    await this.d.ports.sync();
    await this.d.rootFs.mount(rec);
    if (rec.volumes || rec.binds) {
      // Volumes attached or detached since the spec was written apply now (volumes.ts).
      applySpecMounts(paths.config, paths.dir, await mountVolumes(paths.dir, rec));
    }
    if (rec.idRange) {
      // Last start's netns (bound by name, owned by a user namespace that is gone) and veth.
      await network.detach(uuid);
    } else if (rec.network.mode === "bridge" && rec.network.ip) {
      if (
        !existsSync(network.netnsPath(uuid)) ||
        !rec.network.hostVeth ||
        !existsSync(`/sys/class/net/${rec.network.hostVeth}`)
      ) {
        await network.attach(uuid, rec.network.ip);
      }
    } else if (!existsSync(network.netnsPath(uuid))) {
      await network.isolated(uuid);
      await attachNics(rec, network.netnsName(uuid));
    } else {
      // The netns outlived the last run; a NIC whose host end went (deleted by hand) comes back.
      await attachNics(rec, network.netnsName(uuid), true);
    }
    try {
      const pid = await launchConmon({
        conmonPath: this.d.host.conmonPath,
        runtimeCommand: this.d.host.runtimeCommand,
        runtimeId: rid,
        name: rec.name,
        paths,
        exitDir: layout.exitDir,
        socketDir: layout.socketDir,
      });
      if (rec.idRange) await this.joinNetwork(rec, pid);
      await this.d.runtime.start(rid);
    } catch (e) {
      await this.d.runtime.delete(rid).catch(() => undefined);
      throw new AppError("INTERNAL", `the container did not start: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * A user-namespaced container's netns is made by crun inside its user namespace (so it mounts
   * its own /sys, not the host's); between `crun create` and `crun start` it is named like any
   * other container's netns and wired to the bridge, before the container's process runs.
   */
  private async joinNetwork(rec: ContainerRecord, pid: number): Promise<void> {
    const { network, store } = this.d;
    const uuid = rec.uuid;
    if (rec.network.mode === "bridge" && rec.network.ip) {
      const { netns, hostVeth } = await network.attach(uuid, rec.network.ip, pid);
      store.update(uuid, { network: { ...store.get(uuid).network, netns, hostVeth } });
    } else {
      const { netns } = await network.isolated(uuid, pid);
      await attachNics(store.update(uuid, { network: { ...store.get(uuid).network, netns } }), netns);
    }
  }

  /** The image's stop signal, then after graceMs (0: at once) SIGKILL; thaws a frozen container. */
  async killAndWait(uuid: string, graceMs: number): Promise<void> {
    const { procs, runtime } = this.d;
    const rid = this.d.layout.runtimeId(uuid);
    if (!procs.isAlive(uuid)) return;
    const frozen = procs.stats(uuid)?.frozen;
    if (graceMs > 0) {
      await runtime.kill(rid, this.d.store.get(uuid).stopSignal).catch(() => undefined);
      if (frozen) await runtime.resume(rid).catch(() => undefined);
      if (await this.waitExit(uuid, graceMs)) return;
    }
    await runtime.kill(rid, "KILL", true).catch(() => undefined);
    // A frozen cgroup cannot die: thaw it so SIGKILL lands.
    if (frozen) await runtime.resume(rid).catch(() => undefined);
    if (!(await this.waitExit(uuid, 10_000))) {
      throw new AppError("INTERNAL", "the container did not stop after SIGKILL");
    }
  }

  /**
   * Waits until the init is gone. conmon's exit file is the normal signal (watched: the wait ends
   * as it appears, not at the next poll); if conmon itself is dead (killed by someone) nobody
   * writes it, so a vanished init is enough after a short grace, which the slower poll finds.
   */
  private async waitExit(uuid: string, timeoutMs: number): Promise<boolean> {
    const { procs } = this.d;
    const deadline = Date.now() + timeoutMs;
    let goneSince: number | null = null;
    let wake: (() => void) | null = null;
    // Made before the first look: an exit file written in between still wakes the wait.
    const watcher = watch(this.d.layout.exitDir, () => wake?.());
    try {
      while (Date.now() < deadline) {
        if (procs.hasExitFile(uuid)) return true;
        if (!procs.isAlive(uuid)) {
          goneSince ??= Date.now();
          if (!procs.conmonAlive(uuid) || Date.now() - goneSince > 1000) return true;
        }
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        wake = null;
      }
      return procs.hasExitFile(uuid) || !procs.isAlive(uuid);
    } finally {
      watcher.close();
    }
  }

  /** crun's state deleted and conmon gone (after the init exited, or to tear down). */
  async release(uuid: string): Promise<void> {
    const rid = this.d.layout.runtimeId(uuid);
    // A second release (a stop then a delete) finds no crun state: no crun process for nothing.
    if (this.d.runtime.known(rid)) await this.d.runtime.delete(rid);
    await this.d.procs.waitConmonGone(uuid);
  }

  /** conmon's exit file and socket link removed, and what was seen of the init (the exit has been handled). */
  forgetExit(uuid: string): void {
    rmSync(this.d.layout.exitFile(uuid), { force: true });
    rmSync(this.d.layout.socketLink(uuid), { force: true });
    this.d.procs.forget(uuid);
  }
}
