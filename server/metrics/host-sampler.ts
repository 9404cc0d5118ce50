// Reads the host's own counters from /proc in one pass: CPU, memory, disk and network.
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { GuestSample } from "../domain/driver";

async function read(p: string): Promise<string> {
  return readFile(p, "utf8").catch(() => "");
}

export async function sampleHost(subject: string): Promise<GuestSample> {
  const [stat, meminfo, diskstats, netdev] = await Promise.all([
    read("/proc/stat"),
    read("/proc/meminfo"),
    read("/proc/diskstats"),
    read("/proc/net/dev"),
  ]);
  const cpu = (stat.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
  const busyTicks = cpu.reduce((s, v, i) => (i === 3 || i === 4 ? s : s + (v || 0)), 0);
  const mem = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(meminfo)?.[1] ?? 0) * 1024;
  let rd = 0;
  let wr = 0;
  for (const line of diskstats.split("\n")) {
    const f = line.trim().split(/\s+/);
    // whole disks only (vda, sda, nvme0n1), not partitions, loop or ram devices
    if (f.length < 10 || !/^(vd[a-z]+|sd[a-z]+|nvme\d+n\d+|xvd[a-z]+)$/.test(f[2] ?? "")) continue;
    rd += Number(f[5]) * 512;
    wr += Number(f[9]) * 512;
  }
  let rx = 0;
  let tx = 0;
  for (const line of netdev.split("\n").slice(2)) {
    const [name, rest] = line.split(":");
    if (!rest || name?.trim() === "lo") continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  const total = mem("MemTotal") || os.totalmem();
  return {
    id: subject,
    at: Date.now(),
    cpuTimeNs: (busyTicks / 100) * 1e9, // USER_HZ is 100 on Linux
    cpuCount: os.cpus().length,
    memoryUsedBytes: total - (mem("MemAvailable") || os.freemem()),
    memoryLimitBytes: total,
    diskReadBytes: rd,
    diskWriteBytes: wr,
    netRxBytes: rx,
    netTxBytes: tx,
  };
}
