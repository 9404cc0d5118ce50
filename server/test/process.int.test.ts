// The real entry point as a process: first start prints the admin password once, env errors are
// reported clearly, SIGTERM shuts down cleanly (exit 0) and a restart keeps the data.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Client, until } from "./harness";
import { freePort } from "./support";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "tandem-proc-"));
copyFileSync(process.env.TANDEM_TEST_TEMPLATE_DB!, path.join(dataDir, "tandem.db"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    env: {
      ...process.env,
      TANDEM_DATA_DIR: dataDir,
      DATABASE_URL: `file:${path.join(dataDir, "tandem.db")}`,
      TANDEM_DRIVERS: "fake",
      TANDEM_UI: "off",
      TANDEM_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

describe("the tandem process", () => {
  it("prints the generated admin password once, which signs in; SIGTERM exits 0", async () => {
    const port = await freePort();
    const p = run({ TANDEM_PORT: String(port) });
    await until(() => p.output().includes("serving"), 30_000, 100);
    const m = /password: (\S+)/.exec(p.output());
    expect(m).not.toBeNull();
    const client = new Client(`http://127.0.0.1:${port}`);
    expect((await client.login("admin", m![1])).status).toBe(200);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);

    const again = run({ TANDEM_PORT: String(port) });
    await until(() => again.output().includes("serving"), 30_000, 100);
    expect(again.output()).not.toMatch(/password:/);
    const c2 = new Client(`http://127.0.0.1:${port}`);
    expect((await c2.login("admin", m![1])).status).toBe(200);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("refuses a bad environment with a clear message and a non-zero exit", async () => {
    const p = run({ TANDEM_PORT: "not-a-port", TANDEM_DRIVERS: "fake,hyperv" });
    expect(await p.exited).not.toBe(0);
    expect(p.output()).toMatch(/TANDEM_PORT/);
    expect(p.output()).toMatch(/TANDEM_DRIVERS/);
  });
});
