// The server as `npm start` runs it: scripts/build-server.mjs's bundle under plain node. Files
// that modules find beside themselves (the addons' build directories, the Next app's root) still
// resolve from the bundle, and the bundled process serves the API and the built pages.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backend } from "./backends";
import { until } from "./harness";
import { freePort } from "./support";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HAVE_BUILD = backend("the Next.js build (next build)", existsSync(path.join(ROOT, ".next", "BUILD_ID")));
// Inside the checkout (not /tmp): the bundle resolves its npm packages from node_modules above it.
mkdirSync(path.join(ROOT, "build"), { recursive: true });
const outDir = mkdtempSync(path.join(ROOT, "build", "test-bundle-"));
const bundle = path.join(outDir, "main.mjs");
const dataDir = mkdtempSync(path.join(os.tmpdir(), "tandem-bundle-"));
let child: ChildProcess | undefined;

beforeAll(() => {
  execFileSync(process.execPath, ["scripts/build-server.mjs", bundle], { cwd: ROOT, stdio: "pipe" });
});
afterAll(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  rmSync(outDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the bundled server", () => {
  it("names each module's own location wherever the source asked for import.meta", () => {
    const code = readFileSync(bundle, "utf8");
    // The rewrite leaves only import.meta.dirname (the bundle's own) behind.
    expect(code).not.toMatch(/import\.meta\.url/);
    const located = [...code.matchAll(/resolve\(import\.meta\.dirname, "([^"]+)"\)/g)].map((m) =>
      path.resolve(outDir, m[1]!),
    );
    // Every addon loader and main.ts's Next root at least.
    for (const want of ["native/conmon/index.ts", "native/libvirt/loader.ts", "server"]) {
      expect(located).toContain(path.join(ROOT, want));
    }
    for (const p of located) expect(existsSync(p), p).toBe(true);
  });

  it.skipIf(!HAVE_BUILD)("starts under plain node and serves the API and the built pages", async () => {
    copyFileSync(process.env.TANDEM_TEST_TEMPLATE_DB!, path.join(dataDir, "tandem.db"));
    const port = await freePort();
    child = spawn(process.execPath, [bundle], {
      cwd: ROOT,
      env: {
        ...process.env,
        TANDEM_DATA_DIR: dataDir,
        DATABASE_URL: `file:${path.join(dataDir, "tandem.db")}`,
        TANDEM_DRIVERS: "fake",
        TANDEM_UI: "on",
        TANDEM_PORT: String(port),
        TANDEM_ADMIN_PASSWORD: "bundle-admin-password",
        TANDEM_LOG_LEVEL: "warn",
        NODE_ENV: "production",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    await until(() => out.includes("==> serving") || child!.exitCode !== null, 60_000, 100);
    expect(out).toContain("==> serving");
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const login = await fetch(`${base}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain("/_next/static/");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
