// Warm `npm start` (nothing changed) until it prints "serving", beside the floor of starting
// node with an empty program (`npm start` runs the bundled server, build/server/main.mjs, under
// plain node); and the idle server's RSS, read from /proc for the real server process (its own
// process, real drivers, web app, data/ as it is).
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { freePort, sleep } from "../server/test/support";
import { atMost, median, type Bench } from "./harness";

/** RSS (MiB) of the server process in process group pgid: the one running the server's main. */
function serverRssMiB(pgid: number): number {
  let best = NaN;
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      // Field 5 of /proc/PID/stat is the process group (after the parenthesised command name).
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      // build/server/main.mjs (`npm start`) or server/main.ts (when run through tsx).
      if (!/server\/main\.(mjs|ts)\b/.test(readFileSync(`/proc/${p}/cmdline`, "utf8"))) continue;
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1]);
      // A launcher (tsx's) may name main too; the server is the larger of the two.
      best = Number.isNaN(best) ? kb / 1024 : Math.max(best, kb / 1024);
    } catch {
      // exited meanwhile
    }
  }
  return best;
}

const root = path.resolve(import.meta.dirname, "..");

async function warmStart(): Promise<{ ms: number; idleRssMiB: number }> {
  const port = await freePort();
  const t = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: root,
    env: { ...process.env, TANDEM_PORT: String(port), TANDEM_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  let exitCode: number | null | undefined; // undefined while it runs
  const exited = new Promise((r) => child.once("exit", r));
  child.once("exit", (code) => (exitCode = code));
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "serving" within 120 s:\n${out}`)), 120_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes("==> serving")) {
          clearTimeout(timer);
          resolve(performance.now() - t);
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
    });
    await sleep(5000); // idle: past start-up, a few metric ticks in
    if (exitCode !== undefined) throw new Error(`npm start exited ${exitCode} after serving:\n${out}`);
    return { ms, idleRssMiB: serverRssMiB(child.pid!) };
  } finally {
    // npm → bash → node: signal the whole group we started, then wait for it to go.
    if (exitCode === undefined) {
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
  }
}

function nodeFloorRssMiB(): number {
  return Number(execFileSync("node", ["-e", "console.log(process.memoryUsage().rss)"], { encoding: "utf8" })) / 2 ** 20;
}

const bench: Bench = {
  title: "Warm start",
  async run() {
    const floor: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      execFileSync(process.execPath, ["-e", ""], { cwd: root });
      floor.push(performance.now() - t);
    }
    const warm: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < 3; i++) {
      const w = await warmStart();
      warm.push(w.ms);
      rss.push(w.idleRssMiB);
    }
    return [
      {
        name: "warm `npm start` → serving (median of 3)",
        value: median(warm),
        unit: "ms",
        baseline: { name: "`node -e ''` (runtime floor)", value: median(floor) },
        note: "setup steps all skipped (bundle current); includes Next.js prepare and driver start-up",
      },
      {
        name: "idle server RSS, 5 s after serving (median of 3)",
        value: median(rss),
        unit: "MiB",
        baseline: { name: "`node -e ''` RSS (runtime floor)", value: nodeFloorRssMiB() },
        targets: [atMost(150, "≤ 150 MiB")],
        note: "the server process of `npm start` (real drivers, web app, data/ as it is)",
      },
    ];
  },
};
export default bench;
