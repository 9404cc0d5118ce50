// Load, the long form (`npm run bench load`): 100 sockets × 20 guests and 50 REST clients for
// 60 s against one Tandem process; server/test/load-run.ts does the run (the short form of it is
// server/test/faults/load.int.test.ts, in `npm test`), this file turns its result into rows.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { runLoad } from "../server/test/load-run";
import { atMost, type Bench, type BenchRow } from "./harness";

const bench: Bench = {
  title:
    "Load: 100 sockets × 20 guests + 50 REST clients for 60 s (fake driver, server in its own process, bundled as `npm start` runs it)",
  async run() {
    const { default: globalSetup } = await import("../server/test/global-setup");
    const teardown = globalSetup();
    // The server as `npm start` runs it: the bundle under plain node (scripts/build-server.mjs),
    // built beside the repo's own so that it resolves node_modules the same way.
    const root = path.resolve(import.meta.dirname, "..");
    const bundle = path.join(root, "build/bench/main.mjs");
    execFileSync(process.execPath, ["scripts/build-server.mjs", bundle], { cwd: root, stdio: "ignore" });
    try {
      const r = await runLoad({
        serverEntry: [bundle],
        sockets: 100,
        guestsPerSocket: 20,
        restClients: 50,
        durationMs: 60_000,
        fakeGuests: 250,
        thinkMs: 100,
        templateDb: process.env.TANDEM_TEST_TEMPLATE_DB!,
        repeats: 1,
        repeatMs: 30_000,
      });
      if (r.errors.length) console.error("load errors (first 10):", r.errors.slice(0, 10));
      const rows: BenchRow[] = [];
      for (const kind of ["list", "get", "act", "task"] as const) {
        rows.push({
          name: `${kind} p50 under load`,
          value: r.latency[kind].p50,
          unit: "ms",
          note: `${r.latency[kind].n} requests`,
          ...(kind === "list" ? { baseline: { name: "list p50, no load", value: r.idleListP50 } } : {}),
        });
        rows.push({
          name: `${kind} p99 under load`,
          value: r.latency[kind].p99,
          unit: "ms",
          ...(kind === "list"
            ? { baseline: { name: "list p99, no load", value: r.idleListP99 }, targets: [atMost(100, "≤ 100 ms")] }
            : {}),
        });
      }
      rows.push(
        {
          name: "requests",
          value: r.requests,
          unit: "",
          note: `${r.actions} actions (pause/resume, each followed to its end)`,
        },
        { name: "errors", value: r.errors.length, unit: "", targets: [atMost(0, "none")] },
        { name: "dropped socket connections", value: r.dropped, unit: "", targets: [atMost(0, "none (no drops)")] },
        {
          name: "metric points delivered",
          value: r.pointsReceived,
          unit: "",
          baseline: { name: "1 per watched guest per second", value: r.pointsExpected },
          note: `${r.starvedSockets} sockets got < 50 %`,
        },
        { name: "guest:upsert pushes received", value: r.upsertsReceived, unit: "" },
        {
          name: "event-loop delay p99 during load",
          value: r.eventLoopDelay.p99,
          unit: "ms",
          targets: [atMost(50, "≤ 50 ms")],
          note: `server's own perf_hooks histogram; p50 ${r.eventLoopDelay.p50.toFixed(1)} ms, max ${r.eventLoopDelay.max.toFixed(0)} ms`,
        },
        {
          name: "/healthz p99 during load",
          value: r.healthzUnderLoad.p99,
          unit: "ms",
          note: `event-loop delay floor; p50 ${r.healthzUnderLoad.p50.toFixed(0)} ms, ${r.stalls.length} probes over 100 ms`,
        },
        { name: "server CPU during load", value: r.serverCpuPct, unit: "% of one core" },
        {
          name: "server RSS idle (fake driver, 250 guests, no UI)",
          value: r.rssMiB.idle,
          unit: "MiB",
          targets: [atMost(150, "≤ 150 MiB")],
        },
        {
          name: "server RSS during load (peak)",
          value: r.rssMiB.loadedPeak,
          unit: "MiB",
          baseline: { name: "idle before", value: r.rssMiB.idle },
        },
        {
          name: "server RSS 5 s after the clients left",
          value: r.rssMiB.afterIdle,
          unit: "MiB",
          baseline: { name: "idle before", value: r.rssMiB.idle },
          note: `${r.rssMiB.afterRun.toFixed(0)} MiB at the end of the run`,
        },
        {
          name: "server RSS after a second 30 s round (fresh connections)",
          value: r.rssMiB.afterRepeats[0] ?? NaN,
          unit: "MiB",
          baseline: { name: "after the first round", value: r.rssMiB.afterIdle },
          note: "flat = retained heap, not a leak",
        },
      );
      return rows;
    } finally {
      teardown();
    }
  },
};
export default bench;
