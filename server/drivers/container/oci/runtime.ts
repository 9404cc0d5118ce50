// crun verbs (update, start, kill, pause, resume, delete, exec): the ones that make cgroups or
// hand stdio to a container through the host's runtime command (the hybrid-cgroup wrapper where
// needed), start, kill and delete straight to crun. Errors keep crun's own message.
import { existsSync } from "node:fs";
import { run } from "./run";

export class Runtime {
  constructor(
    private readonly command: string,
    /** crun's state directory (its default --root). */
    private readonly stateRoot = "/run/crun",
    /**
     * The crun binary itself, for `start`, `kill` and `delete`: they hand no stdio to a container
     * (the wrapper's null-device swap) and work on an existing container's state and cgroups,
     * which crun finds on a hybrid host as well (checked by the driver's integration tests:
     * crun refuses the hybrid layout only when it creates a container's cgroups). The wrapper
     * costs a shell, unshare, a second shell and an umount per call (4 execs; ~4 ms quiet,
     * 15–30 ms at load 5–8 here), twice on every removal.
     */
    private readonly directCommand = command,
  ) {}

  /** Cheap check without running crun: does crun hold state for this id? */
  known(id: string): boolean {
    return existsSync(`${this.stateRoot}/${id}`);
  }

  /** New limits for a running container's cgroup (swap set with memory where accounted). */
  async update(
    id: string,
    limits: { memoryBytes?: number; swap?: boolean; cpuQuotaUs?: number; cpuPeriodUs?: number },
  ) {
    const args = [this.command, "update"];
    if (limits.memoryBytes !== undefined) {
      args.push(`--memory=${limits.memoryBytes}`);
      if (limits.swap) args.push(`--memory-swap=${limits.memoryBytes}`);
    }
    if (limits.cpuQuotaUs !== undefined) args.push(`--cpu-quota=${limits.cpuQuotaUs}`);
    if (limits.cpuPeriodUs !== undefined) args.push(`--cpu-period=${limits.cpuPeriodUs}`);
    await run([...args, id], { timeoutMs: 15_000 });
  }

  start(id: string): Promise<unknown> {
    return run([this.directCommand, "start", id], { timeoutMs: 30_000 });
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await run([this.directCommand, "kill", ...(all ? ["--all"] : []), id, signal], { timeoutMs: 15_000 });
  }

  async pause(id: string): Promise<void> {
    await run([this.command, "pause", id], { timeoutMs: 30_000 });
  }

  async resume(id: string): Promise<void> {
    await run([this.command, "resume", id], { timeoutMs: 30_000 });
  }

  /** Forced delete; a container crun does not know is not an error. */
  async delete(id: string): Promise<void> {
    try {
      await run([this.directCommand, "delete", "--force", id], { timeoutMs: 30_000 });
    } catch (e) {
      if (/does not exist|not found|No such file/i.test(String(e))) return;
      throw e;
    }
  }

  /** `crun exec -d -t` with a console socket: crun passes the PTY master to the listener. */
  async execDetached(id: string, processFile: string, consoleSocket: string, pidFile: string): Promise<void> {
    await run(
      [
        this.command,
        "exec",
        "--detach",
        "--tty",
        "--console-socket",
        consoleSocket,
        "--process",
        processFile,
        "--pid-file",
        pidFile,
        id,
      ],
      { timeoutMs: 30_000 },
    );
  }
}
