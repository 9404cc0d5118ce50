// Metric history and counters across restarts (of Tandem and of a guest), with the fake driver
// and a real SQLite file: the 24 h view shows history after a restart, and Prometheus counters
// never go backwards when a guest's own counters reset.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import { LOCAL_HOST_ID } from "../domain/ids";
import { FakeDriver } from "../drivers/fake/fake-driver";
import { Client, startTestServer, until, type TestServer } from "./harness";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "tandem-metrics-"));
// The same driver objects across Tandem restarts: guests outlive Tandem, as with libvirtd/conmon.
const drivers = [
  new FakeDriver({ kind: "vm", hostId: LOCAL_HOST_ID, createDelayMs: 20 }),
  new FakeDriver({ kind: "container", hostId: LOCAL_HOST_ID, createDelayMs: 20 }),
];
const start = () => startTestServer({ dataDir, driverFactory: () => drivers });
let server: TestServer | null = null;
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function signedIn(s: TestServer) {
  const c = new Client(s.url);
  await c.login();
  return c;
}

async function cpuCounter(c: Client, id: string): Promise<number | null> {
  const families = parsePrometheusTextFormat(await (await c.raw("GET", "/metrics")).text());
  const m = families.find((f) => f.name === "tandem_guest_cpu_seconds_total")?.metrics.find((x) => x.labels?.id === id);
  return m?.value === undefined ? null : Number(m.value);
}

describe("metrics across restarts", () => {
  let guestId = "";

  it("keeps history in SQLite across a Tandem restart", async () => {
    server = await start();
    let c = await signedIn(server);
    const res = await c.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: "hist",
      image: "demo-vm",
      vcpus: 2,
      memoryMiB: 256,
    });
    guestId = res.body.guest.id;
    // A few live 1 s points, then a graceful stop writes the open buckets.
    await until(async () => {
      const r = await c.json<{ points: unknown[] }>("GET", `/api/v1/guests/${guestId}/metrics?range=15m`);
      return r.body.points.length >= 3;
    }, 15_000);
    await server.close();

    server = await start();
    c = await signedIn(server);
    for (const range of ["1h", "24h", "7d"]) {
      const r = await c.json<{ points: { t: number; cpuPct: number }[]; resolution: number }>(
        "GET",
        `/api/v1/guests/${guestId}/metrics?range=${range}`,
      );
      expect(r.status).toBe(200);
      expect(r.body.points.length, range).toBeGreaterThanOrEqual(1);
      expect(r.body.points[0]!.t).toBeLessThanOrEqual(Date.now());
      expect(r.body.points[0]!.cpuPct).toBeGreaterThan(0);
    }
  });

  it("never lets a Prometheus counter go backwards when the guest restarts", async () => {
    const c = await signedIn(server!);
    const before = await until(() => cpuCounter(c, guestId), 15_000);
    const act = async (action: string) => {
      const r = await c.json<{ taskId: string }>("POST", `/api/v1/guests/${guestId}/actions`, { action });
      expect(r.status).toBe(202);
      await until(
        async () =>
          (await c.json<{ task: { state: string } }>("GET", `/api/v1/tasks/${r.body.taskId}`)).body.task.state ===
          "succeeded",
      );
    };
    await act("stop");
    await act("start"); // the fake driver, like a real guest, restarts its counters from zero
    const after = await until(async () => {
      const v = await cpuCounter(c, guestId);
      return v !== null && v > before ? v : null;
    }, 15_000);
    expect(after).toBeGreaterThan(before);
  });
});
