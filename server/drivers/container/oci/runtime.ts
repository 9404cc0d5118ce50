// crun verbs (update, start, kill, pause, resume, delete, exec) through the host's runtime
// command (the hybrid-cgroup wrapper where needed). Errors keep crun's own message.
import { existsSync } from "node:fs";
import { run } from "./run";

export class Runtime {
  constructor(
    private readonly command: string,
    /** crun's state directory (its default --root). */
    private readonly stateRoot = "/run/crun",
    /**
     * The crun binary itself, for `start`: it only opens the container's exec fifo (no cgroup,
     * no stdio handed to the container), so it needs none of the wrapper's work, which on a
     * hybrid host costs a shell, a mount namespace and an umount on create's critical path.
     */
    private readonly startCommand = command,
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
    return run([this.startCommand, "start", id], { timeoutMs: 30_000 });
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await run([this.command, "kill", ...(all ? ["--all"] : []), id, signal], { timeoutMs: 15_000 });
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
      await run([this.command, "delete", "--force", id], { timeoutMs: 30_000 });
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
