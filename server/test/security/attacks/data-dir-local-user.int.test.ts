// Attack (issue #10 item 9): a local unprivileged user on the Tandem host (uid 65534 here, via
// setpriv) reads Tandem's database (password hashes, session hashes, container env secrets) and
// lists and reads its data directory (uploaded disks, unpacked image layers with setuid files).
// The server is set up and started the way `npm start` does it: scripts/migrate.sh creates the
// database, then `tsx server/main.ts` runs with a fresh data directory below a world-readable
// parent.
// Before the fix (seen at 2febe26): the data directory was 0755 and tandem.db 0644; nobody read
// the whole database file (the admin's scrypt hash in it), listed the data directory and read
// an uploaded disk image (0644 under images/uploads). After: the data directory is 0711, the
// database files 0600, images/ 0710 root:libvirt-qemu, other entries 0700 and Tandem's umask
// 077; every one of those reads is refused with EACCES.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, Client, until } from "../../harness";

const root = path.resolve(import.meta.dirname, "../../../..");
let parent: string;
let dataDir: string;
let child: ChildProcess | null = null;
let url = "";
let output = "";

beforeAll(async () => {
  parent = mkdtempSync(path.join(os.tmpdir(), "tandem-local-"));
  // Where an operator would put it: a parent any user may traverse (/var/lib, /srv, ~/…).
  chmodSync(parent, 0o755);
  dataDir = path.join(parent, "data");
  // scripts/lib.sh derives DATABASE_URL from TANDEM_DATA_DIR; the test run's own must not leak in.
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const env = { ...inherited, TANDEM_DATA_DIR: dataDir };
  const migrate = spawnSync("bash", ["scripts/migrate.sh"], { cwd: root, env, encoding: "utf8" });
  expect(migrate.status, migrate.stdout + migrate.stderr).toBe(0);
  // Node itself with tsx's loader (as the other process tests do), so the PID killed below is the
  // server's own: through `npx` a SIGTERM ended npx and left the server running.
  child = spawn(process.execPath, ["--import", "tsx", "server/main.ts"], {
    cwd: root,
    env: {
      ...env,
      TANDEM_DRIVERS: "fake",
      TANDEM_UI: "off",
      TANDEM_PORT: "0",
      TANDEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TANDEM_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  url = await until(() => /==> serving (http:\/\/\S+)/.exec(output)?.[1], 60_000).catch(() => {
    throw new Error(`Tandem did not start:\n${output}`);
  });
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  if (parent) rmSync(parent, { recursive: true, force: true });
});

/** Runs a command as uid/gid 65534 with no supplementary groups; returns exit status and stderr. */
function asNobody(...argv: string[]) {
  const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", ...argv], {
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("a local unprivileged user against Tandem's data directory", () => {
  it("reaches the data directory at all (the parent is open, as on a real host)", () => {
    expect(asNobody("test", "-x", parent).status).toBe(0);
  });

  it("cannot read the database", () => {
    const db = path.join(dataDir, "tandem.db");
    expect(existsSync(db)).toBe(true);
    const r = asNobody("head", "-c", "16", db);
    expect(r.stdout).not.toContain("SQLite format");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
    for (const f of readdirSync(dataDir).filter((n) => n.startsWith("tandem.db"))) {
      expect(asNobody("head", "-c", "1", path.join(dataDir, f)).status, f).not.toBe(0);
    }
  });

  it("cannot list the data directory", () => {
    const r = asNobody("ls", dataDir);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Permission denied/);
  });

  it("cannot read a disk image uploaded after start", async () => {
    const admin = new Client(url);
    expect((await admin.login()).status).toBe(200);
    const res = await fetch(`${url}/api/v1/images?name=local-secret-disk&kind=vm&format=raw`, {
      method: "POST",
      body: "disk contents only Tandem and QEMU may read",
      headers: { "content-type": "application/octet-stream", cookie: admin.cookie!, "x-csrf-token": admin.csrf! },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const uploads = path.join(dataDir, "images", "uploads");
    const file = path.join(
      uploads,
      readdirSync(uploads).find((f) => f.endsWith(".raw"))!,
    );
    expect(statSync(file).size).toBeGreaterThan(0);
    const r = asNobody("cat", file);
    expect(r.stdout).not.toContain("disk contents");
    expect(r.status).not.toBe(0);
    expect(asNobody("ls", uploads).status).not.toBe(0);
  });
});
