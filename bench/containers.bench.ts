// Containers on real conmon + crun: the container engineer's driver benchmark
// (server/drivers/container/test/bench.ts) run as a child, beside bare `crun run -d` / `crun
// delete -f` on the same rootfs in the same run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Guest } from "../server/contract/guest";
import { LOCAL_HOST_ID } from "../server/domain/ids";
import { ContainerDriver } from "../server/drivers/container";
import { median, type Bench } from "./harness";
import { benchServer, removeCgroupParent, waitTask } from "./support";

const root = path.resolve(import.meta.dirname, "..");
const demoDir = path.join(root, "data/images/demo");

/** POST /api/v1/guests until its task reports success, on a real server with real containers. */
async function apiCreateToRunning(runs: number): Promise<number[]> {
  let driver = null as ContainerDriver | null;
  const { admin, stop } = await benchServer({
    driverFactory: (dataDir) => [
      (driver = new ContainerDriver({
        hostId: LOCAL_HOST_ID,
        dataDir,
        logger: pino({ level: "silent" }),
        bridge: "tdmbench1",
        subnet: "10.231.14.0/24",
        nftTable: "tandem_bench1",
        cgroupParent: "tandem-bench1",
        netnsPrefix: "tdmbench1-",
        shutdownTimeoutMs: 2000,
      })),
    ],
    containers: true,
    demoImageDir: demoDir,
  });
  const times: number[] = [];
  const ids: string[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
        kind: "container",
        name: `bench-api-${i}`,
        image: "demo-busybox",
        vcpus: 1,
        memoryMiB: 64,
        command: ["sleep", "1000"],
      });
      ids.push(res.body.guest.id);
      await waitTask(admin, res.body.taskId, 60_000, 2);
      times.push(performance.now() - t0);
    }
  } finally {
    for (const id of ids) {
      const r = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
      if (r.status === 202) await waitTask(admin, r.body.taskId).catch(() => {});
    }
    await stop();
    await driver?.network.destroy();
    removeCgroupParent("tandem-bench1");
  }
  return times;
}

const bench: Bench = {
  title: "Containers (conmon + crun)",
  async run() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-ct-bench-"));
    const out = path.join(dir, "result.json");
    try {
      execFileSync(
        path.join(root, "node_modules/.bin/tsx"),
        ["server/drivers/container/test/bench.ts", "--json", out],
        {
          cwd: root,
          stdio: ["ignore", "inherit", "inherit"],
          timeout: 600_000,
        },
      );
      const r = JSON.parse(readFileSync(out, "utf8")) as Record<string, number>;
      const n = r.containersSampled ?? 20;
      const api = await apiCreateToRunning(5);
      return [
        {
          name: "API create → running (REST, task done)",
          value: median(api),
          unit: "ms",
          baseline: { name: "bare `crun run -d`", value: r.bareCrunRunDetachedMs! },
          note: "includes the HTTP round trips and the task log",
        },
        {
          name: "create → running (driver: user namespace + 4 GiB disk)",
          value: r.driverCreateToRunningMs!,
          unit: "ms",
          baseline: { name: "bare `crun run -d`", value: r.bareCrunRunDetachedMs! },
          note: `without user namespace and disk (the old figure), same run: ${r.driverCreateToRunningNoUsernsNoQuotaMs} ms`,
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
          note: `without user namespace and disk: ${r.driverRemoveRunningNoUsernsNoQuotaMs} ms`,
        },
        { name: "console keystroke round trip", value: r.consoleKeystrokeRoundTripMs!, unit: "ms" },
        { name: "console command round trip (`echo`)", value: r.consoleCommandRoundTripMs!, unit: "ms" },
        { name: "exec → first prompt", value: r.execOpenToPromptMs!, unit: "ms" },
        {
          name: `stats: one sample() for ${n} containers`,
          value: r.sampleAllMs!,
          unit: "ms",
          note: `${r.samplePerContainerMs} ms per container`,
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
