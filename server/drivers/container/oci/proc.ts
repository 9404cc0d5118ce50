// What the kernel and conmon say about a container's processes, read from files: the init pid
// (conmon's pid file), whether it is alive and still ours (/proc/<pid>/stat and cgroup), conmon's
// exit file and its own pid, and the container's cgroup counters. Synchronous on purpose: tiny
// pseudo-files, read on every state query.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { readCgroupStats, type CgroupLayout, type CgroupStats } from "./cgroups";
import type { ContainerLayout } from "./layout";

export class ContainerProcs {
  constructor(
    private readonly layout: ContainerLayout,
    private readonly cgroups: CgroupLayout,
  ) {}

  readPid(uuid: string): number | null {
    return readPidFile(this.layout.paths(uuid).pidFile);
  }

  /** The container's init is alive (not a zombie) and no exit file says otherwise. */
  isAlive(uuid: string): boolean {
    const pid = this.readPid(uuid);
    if (!pid || this.hasExitFile(uuid)) return false;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") return false;
      // The pid must still be ours: its cgroup path names this container.
      return readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(uuid);
    } catch {
      return false;
    }
  }

  hasExitFile(uuid: string): boolean {
    return existsSync(this.layout.exitFile(uuid));
  }

  /** The init's exit code as conmon wrote it; null without a readable exit file. */
  exitCode(uuid: string): number | null {
    try {
      const n = Number(readFileSync(this.layout.exitFile(uuid), "utf8").trim());
      return Number.isInteger(n) ? n : null;
    } catch {
      return null;
    }
  }

  conmonAlive(uuid: string): boolean {
    const pid = readPidFile(this.layout.paths(uuid).conmonPidFile);
    try {
      return !!pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(uuid);
    } catch {
      return false;
    }
  }

  /** The cgroup's counters; null when it is gone. */
  stats(uuid: string): CgroupStats | null {
    return readCgroupStats(this.cgroups, this.layout.cgroupRel(uuid));
  }

  oomKills(uuid: string): number {
    return this.stats(uuid)?.oomKills ?? 0;
  }

  /** Waits (2 s at most) until this container's conmon has exited, then drops its pid file. */
  async waitConmonGone(uuid: string): Promise<void> {
    const file = this.layout.paths(uuid).conmonPidFile;
    const pid = readPidFile(file);
    for (let i = 0; i < 200 && pid; i++) {
      try {
        process.kill(pid, 0);
        if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(uuid)) break;
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    rmSync(file, { force: true });
  }
}

function readPidFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
