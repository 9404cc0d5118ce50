// Scale: N (default 500) running real containers (conmon + crun) behind Tandem's real server and
// services, in this process. Create throughput, the guest list beside the driver's own list and
// bare `crun list`, one metrics tick's CPU, server RSS beside its idle figure, and conmon's memory
// per container. Opt-in (`npm run bench -- scale`): it takes minutes and most of the machine.
// TANDEM_SCALE_N and TANDEM_SCALE_CONCURRENCY override the count and the create concurrency.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Guest } from "../server/contract/guest";
import { LOCAL_HOST_ID } from "../server/domain/ids";
import { ContainerDriver } from "../server/drivers/container";
import { median, percentile, timeMs, type Bench, type BenchRow } from "./harness";
import { benchServer, removeCgroupParent, sleep, waitTask, type Client } from "./support";

/** Left out of a plain `npm run bench`; run it by name. */
export const optIn = true;

const demoDir = path.resolve(import.meta.dirname, "../data/images/demo");
const GiB = 2 ** 30;
const TAG = "scale";

/**
 * Runs fn over items with at most `limit` in flight. After a failure no new item starts, and it
 * rejects only once the ones in flight have settled, so the clean-up sees every container made.
 */
async function inPool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | null = null;
  const worker = async () => {
    while (!failure && next < items.length) {
      await fn(items[next++]!).catch((err: unknown) => void (failure ??= { err }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw (failure as { err: unknown }).err;
}

/** Resident memory of a process in KiB (VmRSS), or null when it is gone or not conmon. */
function conmonRssKiB(pidFile: string): number | null {
  try {
    const pid = readFileSync(pidFile, "utf8").trim();
    if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "conmon") return null;
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Each container gets a 1 GiB preallocated disk when the temp file system can hold them all. */
function diskPlan(n: number): { withDisk: boolean; note: string } {
  const s = statfsSync(os.tmpdir());
  const freeGiB = (s.bavail * s.bsize) / GiB;
  const needGiB = n + 4; // one each, the 2 GiB reserve and 2 GiB of slack
  return freeGiB >= needGiB
    ? { withDisk: true, note: `1 GiB preallocated disk each (${freeGiB.toFixed(0)} GiB free)` }
    : {
        withDisk: false,
        note: `no disk image (driver option diskQuota: false): ${n} × 1 GiB does not fit the ${freeGiB.toFixed(0)} GiB free`,
      };
}

async function removeAll(admin: Client, ids: string[], concurrency: number): Promise<void> {
  await inPool(ids, concurrency, async (id) => {
    const r = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
    if (r.status === 202) await waitTask(admin, r.body.taskId).catch(() => {});
  });
}

const bench: Bench = {
  title: "Scale: many running containers (conmon + crun, real server)",
  async run() {
    const n = Number(process.env.TANDEM_SCALE_N ?? 500);
    const concurrency = Number(process.env.TANDEM_SCALE_CONCURRENCY ?? 8);
    const disk = diskPlan(n);
    let driver = null as ContainerDriver | null;
    const { server, admin, stop } = await benchServer({
      driverFactory: (dataDir) => [
        (driver = new ContainerDriver({
          hostId: LOCAL_HOST_ID,
          dataDir,
          logger: pino({ level: "silent" }),
          bridge: `tdm${TAG}`,
          subnet: "10.231.40.0/22", // room for 1,000 addresses; a /24 holds 253
          nftTable: `tandem_${TAG}`,
          cgroupParent: `tandem-${TAG}`,
          netnsPrefix: `tdm${TAG}-`,
          shutdownTimeoutMs: 2000,
          diskQuota: disk.withDisk,
        })),
      ],
      containers: true,
      demoImageDir: demoDir,
    });
    const ct = driver!;
    const ids: string[] = [];
    const rows: BenchRow[] = [];
    const load = () => `load ${os.loadavg()[0]!.toFixed(1)}`;
    // Everything goes, even after a failure or an interrupt: through the API first, then whatever
    // the driver still holds, then the bridge, nft table and cgroup parent. Once only.
    let cleaning: Promise<void> | null = null;
    const cleanup = () =>
      (cleaning ??= (async () => {
        await removeAll(admin, ids.splice(0), concurrency).catch(() => {});
        // A create still under way (an interrupt does not wait for them) is removed once it is made.
        for (let round = 0; round < 10; round++) {
          const left = await ct.list().catch(() => []);
          for (const g of left) await ct.remove(g.id, { purgeDisks: true }).catch(() => {});
          if (!left.some((g) => g.state === "creating")) break;
          await sleep(2000);
        }
        await stop();
        await ct.network.destroy();
        removeCgroupParent(`tandem-${TAG}`);
      })());
    // Ctrl-C or a timeout's SIGTERM during the minutes of creates must not leave 500 containers.
    const interrupted = (signal: NodeJS.Signals) => {
      console.error(`scale bench: ${signal}, removing its containers first`);
      void cleanup().finally(() => process.exit(130));
    };
    process.once("SIGINT", interrupted);
    process.once("SIGTERM", interrupted);
    try {
      await sleep(2000);
      const idleRss = process.memoryUsage().rss / 2 ** 20;
      const idleFds = readdirSync("/proc/self/fd").length;

      const t0 = performance.now();
      await inPool(
        Array.from({ length: n }, (_, i) => i),
        concurrency,
        async (i) => {
          if (cleaning) throw new Error("interrupted");
          const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
            kind: "container",
            name: `scale-${i}`,
            image: "demo-busybox",
            vcpus: 0.1,
            memoryMiB: 16,
            ...(disk.withDisk ? { diskGiB: 1 } : {}),
            command: ["sleep", "1000000"],
          });
          if (res.status !== 202) throw new Error(`create ${i}: ${res.status} ${JSON.stringify(res.body)}`);
          ids.push(res.body.guest.id);
          await waitTask(admin, res.body.taskId, 300_000);
        },
      );
      const createS = (performance.now() - t0) / 1000;
      rows.push({
        name: `create ${n} containers → all running`,
        value: n / createS,
        unit: "containers/s",
        note: `${concurrency} API creates in flight, each followed to its task's end (50 ms polls); ${createS.toFixed(0)} s in all; ${disk.note}; ${load()}`,
      });

      await sleep(3000); // let the 1 s sampler and the event pushes settle
      const listed = (await admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests")).body.guests;
      const running = listed.filter((g) => g.kind === "container" && g.state === "running").length;
      if (running !== n) throw new Error(`${running} of ${n} containers running`);

      const api: number[] = [];
      for (let i = 0; i < 30; i++) api.push(await timeMs(() => admin.json("GET", "/api/v1/guests")));
      const direct: number[] = [];
      for (let i = 0; i < 30; i++) direct.push(await timeMs(() => ct.list()));
      const crun: number[] = [];
      for (let i = 0; i < 5; i++)
        crun.push(await timeMs(async () => execFileSync("crun", ["list"], { stdio: "ignore" })));
      rows.push({
        name: `GET /api/v1/guests p50, ${n} running`,
        value: median(api),
        unit: "ms",
        baseline: { name: "the driver's own list() p50", value: median(direct) },
        targets: [{ text: "≤ 50 ms p50 (500 running)", limit: 50 }],
        note: `p99 ${percentile(api, 99).toFixed(1)} ms; ${load()}`,
      });
      rows.push({
        name: `driver list() p50, ${n} running`,
        value: median(direct),
        unit: "ms",
        baseline: { name: "bare `crun list` (every crun container on the host)", value: median(crun) },
      });

      const cpu: number[] = [];
      const wall: number[] = [];
      for (let i = 0; i < 10; i++) {
        const c0 = process.cpuUsage();
        wall.push(await timeMs(() => server.services.metrics.tick()));
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
        await sleep(300);
      }
      rows.push({
        name: `one metrics tick, ${n} running + host: CPU`,
        value: median(cpu) / 10, // ms of CPU per 1,000 ms interval → % of one core
        unit: "% of a core",
        targets: [{ text: "≤ 5 % of a core (500 running)", limit: 5 }],
        note: `${median(cpu).toFixed(1)} ms CPU, wall ${median(wall).toFixed(1)} ms, every 1 s; ${load()}`,
      });

      rows.push({
        name: `server RSS with ${n} running`,
        value: process.memoryUsage().rss / 2 ** 20,
        unit: "MiB",
        baseline: { name: "same server idle, before the creates", value: idleRss },
        targets: [{ text: "≤ 400 MiB (500 running)", limit: 400 }],
        note: "server and bench client in one process",
      });

      // What N running containers cost the server when nobody asks anything: the watchdog's
      // look at each container every second and the metrics ticks, over 10 s.
      const idle0 = process.cpuUsage();
      const idleT0 = performance.now();
      await sleep(10_000);
      const idleCpu = process.cpuUsage(idle0);
      rows.push({
        name: `server CPU with ${n} running, no requests`,
        value: ((idleCpu.user + idleCpu.system) / 1000 / (performance.now() - idleT0)) * 100,
        unit: "% of a core",
        note: `over 10 s: the supervisor's watchdog (one /proc read per container each second) and the 1 s metrics ticks; open fds ${readdirSync("/proc/self/fd").length} (idle ${idleFds}); ${load()}`,
      });

      const rss = ids.map((id) => conmonRssKiB(path.join(ct.debugPaths(id).dir, "conmon.pid")));
      const found = rss.filter((r): r is number => r !== null);
      rows.push({
        name: "supervisor (conmon) RSS per container",
        value: found.reduce((a, b) => a + b, 0) / Math.max(1, found.length) / 1024,
        unit: "MiB",
        note: `VmRSS of ${found.length} conmon processes / ${found.length}; shared pages counted in each`,
      });

      const d0 = performance.now();
      await removeAll(admin, ids.splice(0), concurrency);
      const deleteS = (performance.now() - d0) / 1000;
      rows.push({
        name: `delete (purge) ${n} running containers`,
        value: n / deleteS,
        unit: "containers/s",
        note: `${concurrency} in flight; ${deleteS.toFixed(0)} s in all; ${load()}`,
      });
      return rows;
    } finally {
      await cleanup();
      process.off("SIGINT", interrupted);
      process.off("SIGTERM", interrupted);
    }
  },
};
export default bench;
