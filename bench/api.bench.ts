// REST latency with 1,000 guests (fake driver, real HTTP + SQLite), beside /healthz on the same
// server as the floor: what the list and the host summary cost on top of the transport.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { startTandem } from "../server/app-server";
import { loadConfig } from "../server/config/env";
import { LOCAL_HOST_ID } from "../server/domain/ids";
import { FakeDriver } from "../server/drivers/fake/fake-driver";
import { percentile, type Bench } from "./harness";

async function latencies(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    out.push(performance.now() - t);
  }
  return out;
}

const bench: Bench = {
  title: "REST API with 1,000 guests (fake driver)",
  async run() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-bench-"));
    const dbUrl = `file:${path.join(dir, "tandem.db")}`;
    execFileSync("npx", ["prisma", "migrate", "deploy"], {
      env: { ...process.env, DATABASE_URL: dbUrl },
      stdio: "ignore",
    });
    const config = loadConfig({
      TANDEM_DATA_DIR: dir,
      TANDEM_PORT: "0",
      TANDEM_DRIVERS: "fake",
      TANDEM_UI: "off",
      TANDEM_ADMIN_PASSWORD: "bench-password",
      DATABASE_URL: dbUrl,
    });
    const server = await startTandem({
      config,
      drivers: [
        new FakeDriver({ kind: "vm", hostId: LOCAL_HOST_ID, seed: 500 }),
        new FakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, seed: 500 }),
      ],
      log: pino({ level: "silent" }),
    });
    try {
      const { token } = await server.services.auth.createToken((await server.db.user.findFirstOrThrow()).id, "bench");
      const h = { authorization: `Bearer ${token}` };
      await latencies(`${server.url}/api/v1/guests`, h, 20); // warm-up
      const health = await latencies(`${server.url}/healthz`, {}, 300);
      const list = await latencies(`${server.url}/api/v1/guests`, h, 300);
      const host = await latencies(`${server.url}/api/v1/host`, h, 100);
      const rss = process.memoryUsage().rss / 2 ** 20;
      return [
        {
          name: "GET /api/v1/guests p50",
          value: percentile(list, 50),
          unit: "ms",
          baseline: { name: "GET /healthz p50", value: percentile(health, 50) },
        },
        {
          name: "GET /api/v1/guests p99",
          value: percentile(list, 99),
          unit: "ms",
          baseline: { name: "GET /healthz p99", value: percentile(health, 99) },
        },
        {
          name: "GET /api/v1/host p50",
          value: percentile(host, 50),
          unit: "ms",
          baseline: { name: "GET /healthz p50", value: percentile(health, 50) },
        },
        {
          name: "process RSS with 1,000 guests",
          value: rss,
          unit: "MiB",
          note: "server and bench client in one process",
        },
      ];
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default bench;
