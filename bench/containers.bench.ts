// Containers on real conmon + crun: the container engineer's driver benchmark
// (server/drivers/container/test/bench.ts) run as a child, beside bare `crun run -d` / `crun
// delete -f` on the same rootfs; Tandem's REST API beside the tools a user would pick instead
// (`podman run -d` / `podman rm -f`, `incus launch` / `incus delete -f`: bench/baselines/), all
// in the same run; the guest list with 50 real containers running, and the process's RSS.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Guest } from "../server/contract/guest";
import { LOCAL_HOST_ID } from "../server/domain/ids";
import { ContainerDriver } from "../server/drivers/container";
import { startIncus } from "./baselines/incus";
import { startPodman } from "./baselines/podman";
import { atMost, fmt, median, percentile, timeMs, timesBaseline, type Bench, type BenchRow } from "./harness";
import { benchServer, removeCgroupParent, waitTask } from "./support";

const root = path.resolve(import.meta.dirname, "..");
const demoDir = path.join(root, "data/images/demo");

type Admin = Awaited<ReturnType<typeof benchServer>>["admin"];
type Server = Awaited<ReturnType<typeof benchServer>>["server"];

/** A real server with real containers (its own bridge, nft table, cgroup parent), stopped after fn. */
async function withServer<T>(
  tag: string,
  extra: { diskQuota?: boolean },
  fn: (s: { admin: Admin; server: Server; ids: string[] }) => Promise<T>,
): Promise<T> {
  let driver = null as ContainerDriver | null;
  const { admin, server, stop } = await benchServer({
    driverFactory: (dataDir) => [
      (driver = new ContainerDriver({
        hostId: LOCAL_HOST_ID,
        dataDir,
        logger: pino({ level: "silent" }),
        bridge: `tdmbench${tag}`,
        subnet: `10.231.${tag === "1" ? 14 : 15}.0/24`,
        nftTable: `tandem_bench${tag}`,
        cgroupParent: `tandem-bench${tag}`,
        netnsPrefix: `tdmbench${tag}-`,
        shutdownTimeoutMs: 2000,
        ...extra,
      })),
    ],
    containers: true,
    demoImageDir: demoDir,
  });
  const ids: string[] = [];
  try {
    return await fn({ admin, server, ids });
  } finally {
    for (const id of ids) {
      const r = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
      if (r.status === 202) await waitTask(admin, r.body.taskId).catch(() => {});
    }
    await stop();
    await driver?.network.destroy();
    removeCgroupParent(`tandem-bench${tag}`);
  }
}

/** POST /api/v1/guests until its task reports success: ms from the call to running. */
async function createToRunning(admin: Admin, ids: string[], body: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    command: ["sleep", "1000"],
    ...body,
  });
  if (res.status !== 202) throw new Error(`create failed: ${JSON.stringify(res.body)}`);
  ids.push(res.body.guest.id);
  await waitTask(admin, res.body.taskId, 60_000, 2);
  return performance.now() - t0;
}

/** DELETE ?purge=true of a running container until its task is done (stop, then remove). */
async function stopAndDelete(admin: Admin, ids: string[], id: string): Promise<number> {
  const t0 = performance.now();
  const r = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
  if (r.status !== 202) throw new Error(`delete failed: ${JSON.stringify(r.body)}`);
  await waitTask(admin, r.body.taskId, 60_000, 2);
  ids.splice(ids.indexOf(id), 1);
  return performance.now() - t0;
}

/**
 * Tandem's API beside the tools a user would pick instead, interleaved run by run so the
 * machine's load falls on all of them alike: create → running beside `podman run -d` and
 * `incus launch`, stop + delete beside `podman rm -f` and `incus delete -f`. No network on any
 * of them (Podman `--network none`, Incus without a nic); Tandem's container keeps its default
 * disk (a size-limited layer), which the others do not have.
 */
async function versusBaselines(runs: number) {
  const podman = startPodman(demoDir);
  const incus = startIncus(demoDir);
  const fig = { create: [] as number[], remove: [] as number[], createDefaultNet: [] as number[] };
  const podmanRun: number[] = [];
  const podmanRm: number[] = [];
  const incusLaunch: number[] = [];
  const incusDelete: number[] = [];
  try {
    await withServer("1", {}, async ({ admin, ids }) => {
      for (let i = 0; i < runs; i++) {
        fig.create.push(await createToRunning(admin, ids, { name: `bench-api-${i}`, network: "none" }));
        if (!("missing" in podman)) podmanRun.push(podman.runDetached(`tandem-bench-${i}`));
        if (!("missing" in incus)) incusLaunch.push(incus.launch(`tandem-bench-${i}`));
        fig.remove.push(await stopAndDelete(admin, ids, ids.at(-1)!));
        if (!("missing" in podman)) podmanRm.push(podman.removeForce(`tandem-bench-${i}`));
        if (!("missing" in incus)) incusDelete.push(incus.deleteForce(`tandem-bench-${i}`));
      }
      // What a user gets by default: the isolated network (bridge, veth, address).
      for (let i = 0; i < runs; i++) {
        fig.createDefaultNet.push(await createToRunning(admin, ids, { name: `bench-net-${i}` }));
      }
    });
  } finally {
    if (!("missing" in podman)) podman.close();
    if (!("missing" in incus)) incus.close();
  }
  const m = (xs: number[]) => (xs.length ? median(xs) : NaN);
  return {
    ...fig,
    podman: { run: m(podmanRun), rm: m(podmanRm), missing: "missing" in podman ? podman.missing : null },
    incus: { launch: m(incusLaunch), del: m(incusDelete), missing: "missing" in incus ? incus.missing : null },
  };
}

/**
 * 50 real running containers: GET /api/v1/guests through the real server and services, beside
 * the same list straight from the driver; and the bench process's RSS with them.
 */
async function listOf50(n: number) {
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  // No size-limited layers here: 50 preallocated disks would take 50 GiB, and the list reads
  // no disk; the containers are otherwise what the API makes (user namespace, cgroups, tini).
  return withServer("2", { diskQuota: false }, async ({ admin, server, ids }) => {
    const rssIdle = process.memoryUsage().rss / 2 ** 20;
    for (let i = 0; i < n; i++) {
      await createToRunning(admin, ids, {
        name: `bench-list-${i}`,
        network: "none",
        vcpus: 0.1,
        memoryMiB: 32,
        command: ["/bin/sh", "-c", "while :; do sleep 1; done"],
      });
    }
    const driver = server.drivers.forKind("container");
    const running = (await driver.list()).filter((g) => g.state === "running").length;
    if (running !== n) throw new Error(`${running} of ${n} containers running`);
    const api: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < 60; i++) {
      api.push(await timeMs(() => admin.json("GET", "/api/v1/guests")));
      direct.push(await timeMs(() => driver.list()));
    }
    return {
      api: percentile(api.slice(10), 50),
      direct: percentile(direct.slice(10), 50),
      rssBefore,
      rssIdle,
      rss50: process.memoryUsage().rss / 2 ** 20,
    };
  });
}

const bench: Bench = {
  title: "Containers (conmon + crun)",
  async run() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-ct-bench-"));
    const out = path.join(dir, "result.json");
    try {
      // The driver's own benchmark; when it fails, the API rows below are still measured and
      // its rows print n/a with the reason.
      let driverFailure: string | null = null;
      let r: Record<string, number> = {}; // a missing figure prints n/a
      try {
        execFileSync(
          path.join(root, "node_modules/.bin/tsx"),
          ["server/drivers/container/test/bench.ts", "--json", out],
          { cwd: root, stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 },
        );
        r = JSON.parse(readFileSync(out, "utf8")) as Record<string, number>;
      } catch (err) {
        driverFailure = `driver benchmark failed: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
      }
      const n = r.containersSampled ?? 20;
      const vs = await versusBaselines(7);
      const list = await listOf50(50);
      const podmanRun = "`podman run -d` (crun, no network)";
      const incusLaunch = "`incus launch` (no nic)";
      const rows: BenchRow[] = [
        {
          name: "API create → running p50 (no network)",
          value: median(vs.create),
          unit: "ms",
          baseline: { name: podmanRun, value: vs.podman.run },
          targets: [atMost(60, "≤ 60 ms p50"), timesBaseline(0.5, vs.podman.run, "`podman run -d`")],
          note: `REST call until its task is done; median of ${vs.create.length}, interleaved with the baselines${vs.podman.missing ? `; ${vs.podman.missing}` : ""}`,
        },
        {
          name: "API create → running p50 (no network)",
          value: median(vs.create),
          unit: "ms",
          baseline: { name: incusLaunch, value: vs.incus.launch },
          note: vs.incus.missing ?? "same Tandem figure as above; Incus on a private daemon, `dir` pool",
        },
        {
          name: "API stop + delete p50 (running container, purge)",
          value: median(vs.remove),
          unit: "ms",
          baseline: { name: "`podman rm -f -t 0`", value: vs.podman.rm },
          targets: [timesBaseline(0.3, vs.podman.rm, "`podman rm -f`")],
          note: "Tandem stops gracefully (SIGTERM through tini, 2 s grace); Podman kills at once",
        },
        {
          name: "API stop + delete p50 (running container, purge)",
          value: median(vs.remove),
          unit: "ms",
          baseline: { name: "`incus delete -f`", value: vs.incus.del },
          note: vs.incus.missing ?? "same Tandem figure as above",
        },
        {
          name: "API create → running p50 (default isolated network)",
          value: median(vs.createDefaultNet),
          unit: "ms",
          baseline: { name: "bare `crun run -d`", value: r.bareCrunRunDetachedMs! },
          note: "bridge, veth and address included; the HTTP round trips and the task log too",
        },
        {
          name: "GET /api/v1/guests p50, 50 running containers",
          value: list.api,
          unit: "ms",
          baseline: { name: "the same list from the driver (`list()`)", value: list.direct },
          targets: [atMost(20, "≤ 20 ms p50")],
          note: "real server, services and SQLite; 50 samples after 10 warm-up",
        },
        {
          name: "bench process RSS, 50 running containers",
          value: list.rss50,
          unit: "MiB",
          baseline: { name: "the bench process before its server started", value: list.rssBefore },
          targets: [atMost(250, "≤ 250 MiB")],
          note: `server in the bench process, whose harness counts against Tandem (idle server: ${fmt(list.rssIdle)} MiB); the idle server on its own: Warm start`,
        },
        {
          name: "create → running (driver: user namespace + 4 GiB disk)",
          value: r.driverCreateToRunningMs!,
          unit: "ms",
          baseline: { name: "bare `crun run -d`", value: r.bareCrunRunDetachedMs! },
          note: `without user namespace and disk (the old figure), same run: ${fmt(r.driverCreateToRunningNoUsernsNoQuotaMs!)} ms`,
        },
        {
          name: "create → running (driver: no user namespace, no disk)",
          value: r.driverCreateToRunningNoUsernsNoQuotaMs!,
          unit: "ms",
          baseline: { name: "bare `crun run -d`", value: r.bareCrunRunDetachedMs! },
          note: "benchmark-only driver options; what containers were before issue 10",
        },
        {
          name: "container disk image (fallocate + mkfs.ext4, 4 GiB)",
          value: r.diskImageCreateMs!,
          unit: "ms",
          note: "part of create above",
        },
        {
          name: "remove a running container",
          value: r.driverRemoveRunningMs!,
          unit: "ms",
          baseline: { name: "bare `crun delete -f`", value: r.bareCrunDeleteForceMs! },
          note: `without user namespace and disk: ${fmt(r.driverRemoveRunningNoUsernsNoQuotaMs!)} ms`,
        },
        {
          name: "console keystroke round trip",
          value: r.consoleKeystrokeRoundTripMs!,
          unit: "ms",
          note: driverFailure ?? undefined,
        },
        { name: "console command round trip (`echo`)", value: r.consoleCommandRoundTripMs!, unit: "ms" },
        { name: "exec → first prompt", value: r.execOpenToPromptMs!, unit: "ms" },
        {
          name: `stats: one sample() for ${n} containers`,
          value: r.sampleAllMs!,
          unit: "ms",
          note: `${fmt(r.samplePerContainerMs!)} ms per container`,
        },
      ];
      return rows;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
