// What the kernel and conmon say about a container's processes, read from files: the init pid
// (conmon's pid file), whether it is alive and still ours (/proc/<pid>/stat and cgroup), conmon's
// exit file and its own pid, and the container's cgroup counters. Synchronous on purpose: tiny
// pseudo-files. It also keeps what it last saw of each container (alive, frozen), refreshed by
// every real look (a state query, the supervisor's watchdog each second, an exit file, a metrics
// sample): the guest list answers from that in memory instead of ~15 file reads per container.
// The metrics sample reads only the counters; the limits are read again after a start or resize.
import { existsSync, readFileSync, rmSync } from "node:fs";
import {
  readCgroupCounters,
  readCgroupFrozen,
  readCgroupLimits,
  readCgroupStats,
  type CgroupCounters,
  type CgroupLayout,
  type CgroupLimits,
  type CgroupStats,
} from "./cgroups";
import type { ContainerLayout } from "./layout";

/** What was last seen of a container; `frozen` null: not read since it was last seen alive. */
interface Seen {
  alive: boolean;
  frozen: boolean | null;
}

export class ContainerProcs {
  /**
   * The init last proven ours, by pid and start time (field 22 of /proc/<pid>/stat): while that
   * same process lives it is still the container's, so the pid file and the process's cgroup are
   * not read again. A new pid or start time (restart, pid reuse) goes through the full check.
   */
  private readonly inits = new Map<string, { pid: number; startTime: string }>();
  private readonly seen = new Map<string, Seen>();
  /** The cgroup limits last read, until a start or resize sets them anew. */
  private readonly limits = new Map<string, CgroupLimits>();

  constructor(
    private readonly layout: ContainerLayout,
    private readonly cgroups: CgroupLayout,
  ) {}

  readPid(uuid: string): number | null {
    return readPidFile(this.layout.paths(uuid).pidFile);
  }

  /** The container's init is alive (not a zombie) and no exit file says otherwise. */
  isAlive(uuid: string): boolean {
    const alive = this.checkAlive(uuid);
    const before = this.seen.get(uuid);
    this.seen.set(uuid, { alive, frozen: alive && before?.alive ? before.frozen : alive ? null : false });
    return alive;
  }

  private checkAlive(uuid: string): boolean {
    const known = this.inits.get(uuid);
    if (known) {
      // That very process, not a zombie: it has not exited, so no exit file can be its (a start
      // removes the last one before it launches).
      const st = procStat(known.pid);
      if (st && st.startTime === known.startTime && st.state !== "Z" && st.state !== "X") return true;
      this.inits.delete(uuid);
    }
    if (this.hasExitFile(uuid)) return false;
    const pid = this.readPid(uuid);
    if (!pid) return false;
    const st = procStat(pid);
    if (!st || st.state === "Z" || st.state === "X") return false;
    try {
      // The pid must still be ours: its cgroup path names this container.
      if (!readFileSync(`/proc/${pid}/cgroup`, "utf8").includes(uuid)) return false;
    } catch {
      return false;
    }
    this.inits.set(uuid, { pid, startTime: st.startTime });
    return true;
  }

  /** Looks now (alive, and frozen when alive) and remembers it. */
  observe(uuid: string): Seen {
    const alive = this.isAlive(uuid);
    const seen = { alive, frozen: alive && readCgroupFrozen(this.cgroups, this.layout.cgroupRel(uuid)) };
    this.seen.set(uuid, seen);
    return seen;
  }

  /**
   * What was last seen, without reading anything when it is known (the list's path). Kept
   * current by every real look: the watchdog's once a second for containers wanted running, the
   * exit-file watcher, each state change the driver reports and each metrics sample.
   */
  lastSeen(uuid: string): Seen {
    const s = this.seen.get(uuid);
    if (!s || (s.alive && s.frozen === null)) return this.observe(uuid);
    return s;
  }

  /** The container is gone: nothing of it is remembered. */
  forget(uuid: string): void {
    this.seen.delete(uuid);
    this.inits.delete(uuid);
    this.limits.delete(uuid);
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

  /** The cgroup's counters, limits and freezer; null when it is gone. Also what is remembered as frozen. */
  stats(uuid: string): CgroupStats | null {
    const s = readCgroupStats(this.cgroups, this.layout.cgroupRel(uuid));
    const seen = this.seen.get(uuid);
    if (s && seen?.alive) seen.frozen = s.frozen;
    if (s) this.limits.set(uuid, { memoryLimitBytes: s.memoryLimitBytes, cpuQuotaCores: s.cpuQuotaCores });
    return s;
  }

  /**
   * The metrics sample: the counters read now, the limits as last read (they change only with a
   * start or a resize, after which the driver calls limitsChanged); null when the cgroup is gone.
   */
  sample(uuid: string): (CgroupCounters & CgroupLimits) | null {
    const rel = this.layout.cgroupRel(uuid);
    const counters = readCgroupCounters(this.cgroups, rel);
    if (!counters) return null;
    let limits = this.limits.get(uuid);
    if (!limits) this.limits.set(uuid, (limits = readCgroupLimits(this.cgroups, rel)));
    return { ...counters, ...limits };
  }

  /** The container's limits were set anew (a resize): the next sample reads them. */
  limitsChanged(uuid: string): void {
    this.limits.delete(uuid);
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

/** A process's state letter and start time from /proc/<pid>/stat; null when it is gone. */
export function procStat(pid: number): { state: string; startTime: string } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  return parseProcStat(stat);
}

/** Fields after the command name (which may hold spaces and parentheses): state is 3rd, starttime 22nd. */
export function parseProcStat(stat: string): { state: string; startTime: string } | null {
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = rest[0];
  const startTime = rest[19];
  return state && startTime ? { state, startTime } : null;
}

function readPidFile(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
