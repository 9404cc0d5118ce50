// A second Tandem for the fake-driver specs: its own port, data directory and database, the
// production build, 1,000 fake guests. Started and stopped by the spec that needs it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export type FakeServer = { url: string; password: string; stop: () => Promise<void> };

export async function startFakeServer(opts: { port: number; guests: number }): Promise<FakeServer> {
  const root = path.resolve(import.meta.dirname, "..");
  if (!existsSync(path.join(root, ".next", "BUILD_ID")))
    throw new Error("no production build: run `npx next build` first");
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "tandem-e2e-fake-"));
  const password = "fake-admin-password";
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TANDEM_DRIVERS: "fake",
    TANDEM_FAKE_GUESTS: String(opts.guests),
    TANDEM_UI: "on",
    TANDEM_PORT: String(opts.port),
    TANDEM_DATA_DIR: dataDir,
    DATABASE_URL: `file:${path.join(dataDir, "tandem.db")}`,
    TANDEM_ADMIN_PASSWORD: password,
    TANDEM_LOG_LEVEL: "warn",
    NODE_ENV: "production" as const,
  };
  const migrate = spawnSync("bash", ["scripts/migrate.sh"], { cwd: root, env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrate failed: ${migrate.stdout}${migrate.stderr}`);
  // Its own process group, so stopping it also stops anything it started.
  const child: ChildProcess = spawn(path.join(root, "node_modules", ".bin", "tsx"), ["server/main.ts"], {
    cwd: root,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fake server exited: ${log}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`fake server did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const pid = child.pid!;
  return {
    url,
    password,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(-pid, "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) process.kill(-pid, "SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
