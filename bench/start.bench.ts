// Warm `npm start` (nothing changed) until it prints "serving", beside the floor of starting
// the same TypeScript runtime with an empty program.
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "../server/test/support";
import { median, type Bench } from "./harness";

const root = path.resolve(import.meta.dirname, "..");

async function warmStartMs(): Promise<number> {
  const port = await freePort();
  const t = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: root,
    env: { ...process.env, TANDEM_PORT: String(port), TANDEM_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = "";
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
  } finally {
    // npm → bash → tsx: signal the whole group we started, then wait for it to go.
    const exited = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid!, "SIGTERM");
    await exited;
  }
}

const bench: Bench = {
  title: "Warm start",
  async run() {
    const floor: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      execFileSync(path.join(root, "node_modules/.bin/tsx"), ["-e", ""], { cwd: root });
      floor.push(performance.now() - t);
    }
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) warm.push(await warmStartMs());
    return [
      {
        name: "warm `npm start` → serving (median of 3)",
        value: median(warm),
        unit: "ms",
        baseline: { name: "`tsx -e ''` (runtime floor)", value: median(floor) },
        note: "setup steps all skipped; includes Next.js prepare and driver start-up",
      },
    ];
  },
};
export default bench;
