// The short form of the load run (../load-run.ts; bench/load.bench.ts runs the long one) in
// `npm test`: 30 sockets each watching 20 guests and 15 API clients listing and acting for 10 s
// against a Tandem process. No error, no dropped connection, every socket fed, and the server's
// memory back near where it started.
import { describe, expect, it } from "vitest";
import { runLoad } from "../load-run";

describe("load (short form)", () => {
  it("holds 30 watching sockets and 15 acting API clients for 10 s (then twice 5 s more) without an error or a drop", async () => {
    const r = await runLoad({
      sockets: 30,
      guestsPerSocket: 20,
      restClients: 15,
      durationMs: 10_000,
      fakeGuests: 250,
      thinkMs: 100,
      templateDb: process.env.TANDEM_TEST_TEMPLATE_DB!,
      repeats: 2,
      repeatMs: 5_000,
    });
    console.log(
      `load: ${r.requests} requests (${r.actions} actions), list p99 ${r.latency.list.p99.toFixed(0)} ms ` +
        `(idle ${r.idleListP99.toFixed(0)}), act p99 ${r.latency.act.p99.toFixed(0)} ms, points ${r.pointsReceived}/` +
        `${r.pointsExpected}, CPU ${r.serverCpuPct.toFixed(0)} %, RSS ${r.rssMiB.idle.toFixed(0)} → ` +
        `${r.rssMiB.loadedPeak.toFixed(0)} → ${r.rssMiB.afterIdle.toFixed(0)} → ${r.rssMiB.afterRepeats.map((m) => m.toFixed(0)).join(" → ")} MiB`,
    );
    console.log(
      `healthz under load p50 ${r.healthzUnderLoad.p50.toFixed(0)} p99 ${r.healthzUnderLoad.p99.toFixed(0)} ms; stalls: ${JSON.stringify(r.stalls)}`,
    );
    expect(r.errors.slice(0, 5)).toEqual([]);
    expect(r.dropped).toBe(0);
    expect(r.socketsConnected).toBe(30);
    // Every socket fed, however fast this machine is: a point for each guest it watches, and points
    // still coming in the second half of the run. How many points arrive (points/expected) depends
    // on the machine's speed: a figure for bench/load.bench.ts, never an assertion here.
    expect(r.socketsMissingGuests).toBe(0);
    expect(r.socketsSilentLate).toBe(0);
    expect(r.actions).toBeGreaterThan(15);
    expect(r.upsertsReceived).toBeGreaterThan(0);
    // Latency is a figure for bench/load.bench.ts, never an assertion here: every request answered.
    // Memory settles: two more rounds with fresh connections end no higher than the first round's
    // peak plus allocator noise (seen ±40 MiB from round to round here, up and down) — a leak per
    // connection or per request would climb with every round. How much heap V8 keeps after the
    // first round depends on the machine and the GC's timing (+71 and +87 MiB in two runs of one
    // commit): a figure for bench/load.bench.ts ("server RSS 5 s after the clients left"), as
    // latency is, not an assertion here.
    expect(Math.max(...r.rssMiB.afterRepeats) - r.rssMiB.loadedPeak).toBeLessThan(40);
  });
});
