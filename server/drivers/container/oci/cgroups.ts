// Cgroup layout discovery (v1, hybrid, v2) and the per-container stats reader. Parsers are pure
// so they are unit-tested with captured file contents; reading is synchronous on purpose: these
// are tiny kernel pseudo-files and one sync pass over all containers beats a promise per file.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export type CgroupMode = "v1" | "hybrid" | "v2";

export interface CgroupLayout {
  mode: CgroupMode;
  /** v2: the unified mount point (pure v2 only; hybrid containers use v1 controllers). */
  unified: string | null;
  /** v1: controller name → mount point (e.g. cpuacct → /sys/fs/cgroup/cpu,cpuacct). */
  v1: Record<string, string>;
}

/** Parses /proc/self/mountinfo into a cgroup layout. */
export function parseCgroupMounts(mountinfo: string): CgroupLayout {
  const v1: Record<string, string> = {};
  let unified: string | null = null;
  let rootIsV2 = false;
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const right = line.slice(sep + 3).split(" ");
    const mountPoint = unescapeMount(left[4] ?? "");
    const fstype = right[0];
    if (fstype === "cgroup2") {
      if (mountPoint === "/sys/fs/cgroup") rootIsV2 = true;
      unified ??= mountPoint;
      if (mountPoint === "/sys/fs/cgroup") unified = mountPoint;
    } else if (fstype === "cgroup") {
      for (const opt of (right[2] ?? "").split(",")) {
        if (["rw", "ro", "relatime", "noatime", "nosuid", "nodev", "noexec"].includes(opt)) continue;
        // Named hierarchies (name=systemd) hold no controller but crun still makes a dir there.
        if (opt.includes("=") && !opt.startsWith("name=")) continue;
        v1[opt] ??= mountPoint;
      }
    }
  }
  const hasV1 = Object.keys(v1).length > 0;
  const mode: CgroupMode = rootIsV2 && !hasV1 ? "v2" : hasV1 && unified ? "hybrid" : hasV1 ? "v1" : "v2";
  return { mode, unified: mode === "v2" ? (unified ?? "/sys/fs/cgroup") : null, v1 };
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function detectCgroupLayout(): CgroupLayout {
  return parseCgroupMounts(readFileSync("/proc/self/mountinfo", "utf8"));
}

/** `key value` lines (memory.stat, cpu.stat, memory.events) → record of numbers. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** A single number file; `max` (v2) and v1's "unlimited" huge values become null. */
export function parseLimit(text: string): number | null {
  const t = text.trim();
  if (t === "max" || t === "") return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n >= 2 ** 62) return null;
  return n;
}

/** v1 blkio.throttle.io_service_bytes(_recursive): "8:0 Read 123" lines → totals. */
export function parseBlkioV1(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    const [dev, op, v] = line.trim().split(/\s+/);
    if (!dev || !v || dev === "Total") continue;
    if (op === "Read") read += Number(v);
    else if (op === "Write") write += Number(v);
  }
  return { read, write };
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=..." lines → totals. */
export function parseIoStatV2(text: string): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const line of text.split("\n")) {
    for (const kv of line.trim().split(/\s+/).slice(1)) {
      const [k, v] = kv.split("=");
      if (k === "rbytes") read += Number(v);
      else if (k === "wbytes") write += Number(v);
    }
  }
  return { read, write };
}

/** What changes from second to second: read by every metrics sample. */
export interface CgroupCounters {
  cpuTimeNs: number;
  memoryUsageBytes: number;
  /** usage − inactive file cache, what `docker stats` and the kubelet call the working set. */
  memoryWorkingSetBytes: number;
  pids: number;
  blkReadBytes: number;
  blkWriteBytes: number;
  oomKills: number;
}

/** The limits in force: they change only when Tandem sets them (a start or a resize). */
export interface CgroupLimits {
  memoryLimitBytes: number | null;
  cpuQuotaCores: number | null;
}

export interface CgroupStats extends CgroupCounters, CgroupLimits {
  frozen: boolean;
}

function readOr(file: string, fallback = ""): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
}

/** One `key value` line's number out of a keyed file, without parsing the rest (memory.stat is ~40 lines). */
function keyed(text: string, key: string): number | undefined {
  let re = keyRes.get(key);
  if (!re) keyRes.set(key, (re = new RegExp(`^${key} (\\d+)$`, "m")));
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}
const keyRes = new Map<string, RegExp>();

const v1File = (layout: CgroupLayout, rel: string) => (ctrl: string, file: string) => {
  const mount = layout.v1[ctrl];
  return mount ? path.join(mount, rel, file) : "";
};

/**
 * One container's counters (relative path like "/tandem/<uuid>"); null when its cgroup is gone.
 * Six or seven small files: at 500 containers every second, each read and parse counts.
 */
export function readCgroupCounters(layout: CgroupLayout, rel: string): CgroupCounters | null {
  if (layout.mode === "v2") {
    const dir = path.join(layout.unified ?? "/sys/fs/cgroup", rel);
    const cpu = readOr(path.join(dir, "cpu.stat"));
    if (!cpu) return null;
    const usage = Number(readOr(path.join(dir, "memory.current"), "0")) || 0;
    const inactive = keyed(readOr(path.join(dir, "memory.stat")), "inactive_file") ?? 0;
    const io = parseIoStatV2(readOr(path.join(dir, "io.stat")));
    return {
      cpuTimeNs: (keyed(cpu, "usage_usec") ?? 0) * 1000,
      memoryUsageBytes: usage,
      memoryWorkingSetBytes: Math.max(0, usage - inactive),
      pids: Number(readOr(path.join(dir, "pids.current"), "0")) || 0,
      blkReadBytes: io.read,
      blkWriteBytes: io.write,
      oomKills: keyed(readOr(path.join(dir, "memory.events")), "oom_kill") ?? 0,
    };
  }
  const c = v1File(layout, rel);
  const cpuText = readOr(c("cpuacct", "cpuacct.usage"));
  if (!cpuText) return null;
  const mem = readOr(c("memory", "memory.stat"));
  const usage = Number(readOr(c("memory", "memory.usage_in_bytes"), "0")) || 0;
  const inactive = keyed(mem, "total_inactive_file") ?? keyed(mem, "inactive_file") ?? 0;
  const blk = parseBlkioV1(
    readOr(c("blkio", "blkio.throttle.io_service_bytes_recursive")) ||
      readOr(c("blkio", "blkio.throttle.io_service_bytes")),
  );
  return {
    cpuTimeNs: Number(cpuText.trim()) || 0,
    memoryUsageBytes: usage,
    memoryWorkingSetBytes: Math.max(0, usage - inactive),
    pids: Number(readOr(c("pids", "pids.current"), "0")) || 0,
    blkReadBytes: blk.read,
    blkWriteBytes: blk.write,
    oomKills: keyed(readOr(c("memory", "memory.oom_control")), "oom_kill") ?? 0,
  };
}

/** The memory limit and CPU quota in force. */
export function readCgroupLimits(layout: CgroupLayout, rel: string): CgroupLimits {
  if (layout.mode === "v2") {
    const dir = path.join(layout.unified ?? "/sys/fs/cgroup", rel);
    const [quota, period] = readOr(path.join(dir, "cpu.max"), "max 100000").trim().split(/\s+/);
    return {
      memoryLimitBytes: parseLimit(readOr(path.join(dir, "memory.max"), "max")),
      cpuQuotaCores: quota && quota !== "max" ? Number(quota) / Number(period || 100000) : null,
    };
  }
  const c = v1File(layout, rel);
  const quota = Number(readOr(c("cpu", "cpu.cfs_quota_us"), "-1"));
  const period = Number(readOr(c("cpu", "cpu.cfs_period_us"), "100000")) || 100000;
  return {
    memoryLimitBytes: parseLimit(readOr(c("memory", "memory.limit_in_bytes"), "max")),
    cpuQuotaCores: quota > 0 ? quota / period : null,
  };
}

/** Reads one container's cgroup whole: counters, limits, frozen; null when it is gone. */
export function readCgroupStats(layout: CgroupLayout, rel: string): CgroupStats | null {
  const counters = readCgroupCounters(layout, rel);
  if (!counters) return null;
  return { ...counters, ...readCgroupLimits(layout, rel), frozen: readCgroupFrozen(layout, rel) };
}

/** Only whether the cgroup is frozen (one file, not the whole stats pass); false when it is gone. */
export function readCgroupFrozen(layout: CgroupLayout, rel: string): boolean {
  if (layout.mode === "v2") {
    const dir = path.join(layout.unified ?? "/sys/fs/cgroup", rel);
    return parseFlatKeyed(readOr(path.join(dir, "cgroup.events"))).frozen === 1;
  }
  const mount = layout.v1.freezer;
  return !!mount && /^(FROZEN|FREEZING)$/.test(readOr(path.join(mount, rel, "freezer.state")).trim());
}

/** Every directory this container's cgroup occupies (to prove removal). */
export function cgroupDirs(layout: CgroupLayout, rel: string): string[] {
  if (layout.mode === "v2") return [path.join(layout.unified ?? "/sys/fs/cgroup", rel)];
  return [...new Set(Object.values(layout.v1))].map((m) => path.join(m, rel));
}

/** Memory limits also limit swap: v1 with memsw accounting. v2 leaves swap unset (always accepted). */
export function swapAccounted(layout: CgroupLayout): boolean {
  if (layout.mode === "v2") return false;
  const mem = layout.v1.memory;
  return !!mem && existsSync(path.join(mem, "memory.memsw.limit_in_bytes"));
}
