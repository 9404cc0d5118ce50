// The load run: many browsers watching live metrics while many API clients list and act, against
// one Tandem *process* (fake driver, real HTTP, socket.io, SQLite), so that RSS and CPU are the
// server's alone. Records latency percentiles per request kind, errors, dropped connections,
// metric points delivered against the number the sampler should have sent, and the server's RSS
// before, during and after. Two callers: faults/load.int.test.ts (the short form in `npm test`)
// and bench/load.bench.ts (the long form in `npm run bench load`).
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { io, type Socket } from "socket.io-client";
import { freePort, percentile, sleep } from "./support";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PASSWORD = "load-bench-password";

export interface LoadOptions {
  sockets: number;
  guestsPerSocket: number;
  restClients: number;
  durationMs: number;
  /** Guests the fake driver starts with (4 in 5 running). */
  fakeGuests: number;
  /** Pause between one REST client's requests (a person or a script, not a flood). */
  thinkMs: number;
  /** A migrated SQLite file to copy (tests pass their template; the bench migrates one). */
  templateDb: string;
  /** Further rounds (fresh connections) after the first, to tell retained memory from a leak. */
  repeats?: number;
  repeatMs?: number;
  /** Extra node flags for the server (e.g. `--cpu-prof`, `--cpu-prof-dir=/tmp/p` to profile it). */
  serverNodeArgs?: string[];
  /**
   * What node runs: the sources through tsx unless told (the bench passes the bundle `npm start`
   * runs, scripts/build-server.mjs, so that its RSS rows are what a user gets).
   */
  serverEntry?: string[];
}

export interface LoadResult {
  latency: Record<"list" | "get" | "act" | "task", { p50: number; p99: number; n: number }>;
  idleListP50: number;
  idleListP99: number;
  /** /healthz sampled every 100 ms during the run: the event loop's own delay. */
  healthzUnderLoad: { p50: number; p99: number; n: number };
  /** The server's own event-loop delay over the run (perf_hooks, read from /metrics), in ms. */
  eventLoopDelay: { p50: number; p99: number; max: number };
  /** Probes that took over 100 ms, with when they started (ms into the run). */
  stalls: { atMs: number; ms: number }[];
  requests: number;
  errors: string[];
  dropped: number;
  socketsConnected: number;
  pointsReceived: number;
  pointsExpected: number;
  /** Sockets that got fewer than half the points they should have. */
  starvedSockets: number;
  /** Sockets that never got a point for one of the guests they watch (speed does not matter). */
  socketsMissingGuests: number;
  /** Sockets that got no point at all in the second half of the run: fed at first, then starved. */
  socketsSilentLate: number;
  upsertsReceived: number;
  actions: number;
  rssMiB: { idle: number; loadedPeak: number; afterRun: number; afterIdle: number; afterRepeats: number[] };
  serverCpuPct: number;
  durationMs: number;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** utime + stime of a process in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

async function startServer(opts: LoadOptions, dir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  copyFileSync(opts.templateDb, path.join(dir, "tandem.db"));
  const entry = opts.serverEntry ?? ["--import", "tsx", "server/main.ts"];
  const child = spawn(process.execPath, [...(opts.serverNodeArgs ?? []), ...entry], {
    cwd: ROOT,
    env: {
      ...process.env,
      TANDEM_DATA_DIR: dir,
      DATABASE_URL: `file:${path.join(dir, "tandem.db")}`,
      TANDEM_DRIVERS: "fake",
      TANDEM_FAKE_GUESTS: String(opts.fakeGuests),
      TANDEM_UI: "off",
      TANDEM_PORT: String(port),
      TANDEM_ADMIN_PASSWORD: PASSWORD,
      TANDEM_LOG_LEVEL: "warn",
      NODE_ENV: "production",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 90_000);
    const check = () => {
      if (out.includes("==> serving")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => reject(new Error(`server exited ${code}:\n${out}`)));
  }).catch((e: unknown) => {
    if (child.exitCode === null) child.kill("SIGKILL");
    throw e;
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/** The server's event-loop delay quantiles (ms) since the previous read (each read resets it). */
async function eventLoopDelay(
  url: string,
  auth: Record<string, string>,
): Promise<{ p50: number; p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`, { headers: auth, signal: AbortSignal.timeout(30_000) })).text();
  const q = (quantile: string) => {
    const m = new RegExp(`^tandem_event_loop_delay_seconds\\{quantile="${quantile}"\\} (\\S+)$`, "m").exec(text);
    return m ? Number(m[1]) * 1000 : NaN;
  };
  return { p50: q("0.5"), p99: q("0.99"), max: q("1") };
}

async function json<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T; ms: number }> {
  const t = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, ms: performance.now() - t };
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-load-"));
  const { child, url } = await startServer(opts, dir).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const pid = child.pid!;
  const sockets: Socket[] = [];
  try {
    // An admin signs in and makes one API token per client (bearer: no cookie jar needed).
    const loginRes = await fetch(`${url}/api/v1/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    if (loginRes.status !== 200) throw new Error(`login failed: ${loginRes.status}`);
    const cookie = (loginRes.headers.get("set-cookie") ?? "").split(";")[0]!;
    const { csrfToken } = (await loginRes.json()) as { csrfToken: string };
    const token = async () =>
      (
        await json<{ token: string }>(`${url}/api/v1/tokens`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie, "x-csrf-token": csrfToken },
          body: JSON.stringify({ name: `load-${Math.random()}` }),
        })
      ).body.token;
    const adminToken = await token();
    const auth = { authorization: `Bearer ${adminToken}` };
    const all = (await json<{ guests: { id: string; state: string }[] }>(`${url}/api/v1/guests`, { headers: auth }))
      .body.guests;
    const runningIds = all.filter((g) => g.state === "running").map((g) => g.id);
    if (runningIds.length < opts.guestsPerSocket + opts.restClients) {
      throw new Error(`only ${runningIds.length} running guests; raise fakeGuests`);
    }

    // Warm up, then the unloaded baseline for the list.
    for (let i = 0; i < 20; i++) await json(`${url}/api/v1/guests`, { headers: auth });
    const idle: number[] = [];
    for (let i = 0; i < 100; i++) idle.push((await json(`${url}/api/v1/guests`, { headers: auth })).ms);
    await sleep(2000);

    const phase = async (durationMs: number, rssIdle: number): Promise<LoadResult> => {
      // The watchers: each joins the rooms of a window of running guests.
      const errors: string[] = [];
      let dropped = 0;
      let running = true;
      const points = new Array<number>(opts.sockets).fill(0);
      // Per socket: which watched guests it heard of, and when its last point came.
      const heard = Array.from({ length: opts.sockets }, () => new Set<string>());
      const lastPointAt = new Array<number>(opts.sockets).fill(0);
      const wanted: string[][] = [];
      let upserts = 0;
      const watched = runningIds.slice(opts.restClients); // REST clients act on the first ones
      for (let i = 0; i < opts.sockets; i++) {
        const s = io(url, {
          path: "/socket.io",
          transports: ["websocket"],
          reconnection: false,
          auth: { token: adminToken },
        });
        await new Promise<void>((resolve, reject) => {
          s.once("connect", () => resolve());
          s.once("connect_error", (e) => reject(e));
        });
        s.on("metrics:point", (p: { id: string }) => {
          points[i]!++;
          heard[i]!.add(p.id);
          lastPointAt[i] = performance.now();
        });
        s.on("guest:upsert", () => upserts++);
        s.on("disconnect", (reason) => {
          if (running) {
            dropped++;
            errors.push(`socket ${i} dropped: ${reason}`);
          }
        });
        const start = (i * 7) % Math.max(1, watched.length - opts.guestsPerSocket);
        const ids = watched.slice(start, start + opts.guestsPerSocket);
        wanted[i] = ids;
        const ack = await new Promise<{ ok: boolean }>((r) => s.emit("metrics:subscribe", { ids }, r));
        if (!ack.ok) throw new Error("subscribe failed");
        sockets.push(s);
      }

      // The API clients: list, read one guest, pause or resume their own guest and follow the task.
      const lat = { list: [] as number[], get: [] as number[], act: [] as number[], task: [] as number[] };
      let requests = 0;
      let actions = 0;
      await eventLoopDelay(url, auth); // starts the server's count afresh
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      let peak = rssIdle;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 500);
      const deadline = Date.now() + durationMs;
      const think = () => sleep(opts.thinkMs * (0.5 + Math.random()));
      const client = async (k: number) => {
        const mine = runningIds[k]!;
        let paused = false;
        const call = async <T>(kind: keyof typeof lat, u: string, init: RequestInit = {}) => {
          requests++;
          try {
            const r = await json<T>(u, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
            lat[kind].push(r.ms);
            if (r.status >= 400) errors.push(`${kind} ${u} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
            return r;
          } catch (e) {
            errors.push(`${kind} ${u} → ${e instanceof Error ? e.message : String(e)}`);
            return null;
          }
        };
        while (Date.now() < deadline) {
          await call("list", `${url}/api/v1/guests`);
          await think();
          await call("get", `${url}/api/v1/guests/${runningIds[(k * 13 + requests) % runningIds.length]}`);
          await think();
          const r = await call<{ taskId: string }>("act", `${url}/api/v1/guests/${mine}/actions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ action: paused ? "resume" : "pause" }),
          });
          if (r?.status === 202) {
            actions++;
            paused = !paused;
            for (;;) {
              const t = await call<{ task: { state: string } }>("task", `${url}/api/v1/tasks/${r.body.taskId}`);
              if (!t || t.body.task.state === "succeeded" || t.body.task.state === "failed") {
                if (t?.body.task.state === "failed") errors.push(`task ${r.body.taskId} failed`);
                break;
              }
              await sleep(50);
            }
          }
          await think();
        }
        // Leave the guest as found.
        if (paused)
          await call("act", `${url}/api/v1/guests/${mine}/actions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ action: "resume" }),
          });
      };
      // A probe of the floor: /healthz does no work, so its latency is the event loop's delay.
      const probe: number[] = [];
      const stalls: { atMs: number; ms: number }[] = [];
      const prober = (async () => {
        while (Date.now() < deadline) {
          const t = performance.now();
          await fetch(`${url}/healthz`).then((r) => r.arrayBuffer());
          const ms = performance.now() - t;
          probe.push(ms);
          if (ms > 100) stalls.push({ atMs: Math.round(t - t0), ms: Math.round(ms) });
          await sleep(100);
        }
      })();
      await Promise.all([...Array.from({ length: opts.restClients }, (_v, k) => client(k)), prober]);
      const elapsed = performance.now() - t0;
      clearInterval(sampler);
      const loopDelay = await eventLoopDelay(url, auth);
      const serverCpuPct = ((cpuSeconds(pid) - cpu0) / (elapsed / 1000)) * 100;
      const rssAfterRun = rssMiB(pid);
      const connected = sockets.filter((s) => s.connected).length;
      running = false;
      for (const s of sockets) s.close();
      await sleep(5000);
      const rssAfterIdle = rssMiB(pid);

      // The sampler pushes one point per second per running guest to each subscribed socket.
      const expectedPerSocket = (elapsed / 1000) * opts.guestsPerSocket;
      const secondHalf = t0 + elapsed / 2;
      const q = (v: number[]) => ({ p50: percentile(v, 50), p99: percentile(v, 99), n: v.length });
      sockets.length = 0;
      return {
        latency: { list: q(lat.list), get: q(lat.get), act: q(lat.act), task: q(lat.task) },
        healthzUnderLoad: { p50: percentile(probe, 50), p99: percentile(probe, 99), n: probe.length },
        eventLoopDelay: loopDelay,
        stalls,
        idleListP50: percentile(idle, 50),
        idleListP99: percentile(idle, 99),
        requests,
        errors,
        dropped,
        socketsConnected: connected,
        pointsReceived: points.reduce((a, b) => a + b, 0),
        pointsExpected: Math.round(expectedPerSocket * opts.sockets),
        starvedSockets: points.filter((n) => n < expectedPerSocket / 2).length,
        socketsMissingGuests: wanted.filter((ids, i) => ids.some((id) => !heard[i]!.has(id))).length,
        socketsSilentLate: lastPointAt.filter((at) => at < secondHalf).length,
        upsertsReceived: upserts,
        actions,
        rssMiB: { idle: rssIdle, loadedPeak: peak, afterRun: rssAfterRun, afterIdle: rssAfterIdle, afterRepeats: [] },
        serverCpuPct,
        durationMs: elapsed,
      };
    };
    const first = await phase(opts.durationMs, rssMiB(pid));
    // Again with fresh connections: memory that only grows from one round to the next is a leak.
    for (let i = 0; i < (opts.repeats ?? 0); i++) {
      const again = await phase(opts.repeatMs ?? opts.durationMs, rssMiB(pid));
      first.rssMiB.afterRepeats.push(again.rssMiB.afterIdle);
      first.errors.push(...again.errors);
      first.dropped += again.dropped;
    }
    return first;
  } finally {
    for (const s of sockets) s.close();
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(force);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
