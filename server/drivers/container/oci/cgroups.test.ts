// Unit tests for cgroup layout discovery and stats parsing with captured v1 and v2 contents.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseBlkioV1,
  parseCgroupMounts,
  parseFlatKeyed,
  parseIoStatV2,
  parseLimit,
  readCgroupFrozen,
  readCgroupStats,
} from "./cgroups";

const HYBRID = `
25 1 0:22 / /sys rw,nosuid - sysfs sysfs rw
30 25 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/cpuacct rw - cgroup cgroup rw,cpuacct
33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
34 30 0:30 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
35 30 0:31 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd
36 30 0:32 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
`;
const V2 = `30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`;
const V1_COMBINED = `31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n33 30 0:29 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n`;

describe("cgroup layout", () => {
  it("recognizes hybrid, v2 and combined v1 mounts", () => {
    const h = parseCgroupMounts(HYBRID);
    expect(h.mode).toBe("hybrid");
    expect(h.v1.cpuacct).toBe("/sys/fs/cgroup/cpuacct");
    expect(h.v1["name=systemd"]).toBe("/sys/fs/cgroup/systemd");
    expect(parseCgroupMounts(V2)).toEqual({ mode: "v2", unified: "/sys/fs/cgroup", v1: {} });
    const c = parseCgroupMounts(V1_COMBINED);
    expect(c.mode).toBe("v1");
    expect(c.v1.cpu).toBe("/sys/fs/cgroup/cpu,cpuacct");
    expect(c.v1.cpuacct).toBe("/sys/fs/cgroup/cpu,cpuacct");
  });
});

describe("stats parsing", () => {
  it("parses keyed files, limits and block I/O", () => {
    expect(parseFlatKeyed("cache 10\ntotal_inactive_file 4096\nbad line x\n")).toEqual({
      cache: 10,
      total_inactive_file: 4096,
    });
    expect(parseLimit("max\n")).toBeNull();
    expect(parseLimit("9223372036854771712\n")).toBeNull();
    expect(parseLimit("67108864\n")).toBe(67108864);
    expect(parseBlkioV1("8:0 Read 100\n8:0 Write 50\n8:16 Read 1\nTotal 151\n")).toEqual({ read: 101, write: 50 });
    expect(parseIoStatV2("8:0 rbytes=10 wbytes=20 rios=1\n254:0 rbytes=1 wbytes=2\n")).toEqual({ read: 11, write: 22 });
  });

  function fakeTree(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(os.tmpdir(), "tandem-cg-"));
    for (const [f, v] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), v);
    }
    return root;
  }

  it("reads a v2 container: working set = current − inactive_file", () => {
    const root = fakeTree({
      "t/c/cpu.stat": "usage_usec 2500\nuser_usec 2000\n",
      "t/c/memory.current": "10000\n",
      "t/c/memory.stat": "anon 6000\ninactive_file 3000\n",
      "t/c/memory.max": "65536\n",
      "t/c/memory.events": "low 0\noom 1\noom_kill 1\n",
      "t/c/pids.current": "3\n",
      "t/c/io.stat": "8:0 rbytes=5 wbytes=6\n",
      "t/c/cpu.max": "150000 100000\n",
      "t/c/cgroup.events": "populated 1\nfrozen 1\n",
    });
    try {
      const s = readCgroupStats({ mode: "v2", unified: root, v1: {} }, "/t/c");
      expect(s).toEqual({
        cpuTimeNs: 2_500_000,
        memoryUsageBytes: 10000,
        memoryWorkingSetBytes: 7000,
        memoryLimitBytes: 65536,
        cpuQuotaCores: 1.5,
        pids: 3,
        blkReadBytes: 5,
        blkWriteBytes: 6,
        oomKills: 1,
        frozen: true,
      });
      expect(readCgroupStats({ mode: "v2", unified: root, v1: {} }, "/t/gone")).toBeNull();
      expect(readCgroupFrozen({ mode: "v2", unified: root, v1: {} }, "/t/c")).toBe(true);
      expect(readCgroupFrozen({ mode: "v2", unified: root, v1: {} }, "/t/gone")).toBe(false);
    } finally {
      rmSync(root, { recursive: true });
    }
  });

  it("reads a v1 container across controllers", () => {
    const root = fakeTree({
      "cpuacct/t/c/cpuacct.usage": "123456789\n",
      "cpu/t/c/cpu.cfs_quota_us": "100000\n",
      "cpu/t/c/cpu.cfs_period_us": "100000\n",
      "memory/t/c/memory.usage_in_bytes": "8192\n",
      "memory/t/c/memory.stat": "cache 0\ntotal_inactive_file 4096\n",
      "memory/t/c/memory.limit_in_bytes": "9223372036854771712\n",
      "memory/t/c/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
      "pids/t/c/pids.current": "5\n",
      "freezer/t/c/freezer.state": "THAWED\n",
    });
    const layout = {
      mode: "v1" as const,
      unified: null,
      v1: {
        cpu: `${root}/cpu`,
        cpuacct: `${root}/cpuacct`,
        memory: `${root}/memory`,
        pids: `${root}/pids`,
        freezer: `${root}/freezer`,
      },
    };
    try {
      expect(readCgroupStats(layout, "/t/c")).toMatchObject({
        cpuTimeNs: 123456789,
        memoryWorkingSetBytes: 4096,
        memoryLimitBytes: null,
        cpuQuotaCores: 1,
        pids: 5,
        oomKills: 2,
        frozen: false,
      });
      expect(readCgroupFrozen(layout, "/t/c")).toBe(false);
      writeFileSync(`${root}/freezer/t/c/freezer.state`, "FREEZING\n");
      expect(readCgroupFrozen(layout, "/t/c")).toBe(true);
      expect(readCgroupFrozen(layout, "/t/gone")).toBe(false);
    } finally {
      rmSync(root, { recursive: true });
    }
  });
});
