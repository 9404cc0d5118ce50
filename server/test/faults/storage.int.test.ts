// Tandem's own storage failing under it: the data directory full (a small tmpfs, filled up) and
// read-only (a read-only bind mount on top, mid-run and at start). Expected: a clear 507/503
// naming the cause instead of a generic 500, reads keep working, no half-made guest, no crash
// (Tandem runs as a separate process here), recovery once the disk is writable again, and a
// database that SQLite's integrity check passes.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../contract/guest";
import { backend } from "../backends";
import { Client, connectSocket, until } from "../harness";
import { checkpoint, FaultRig, integrityCheck, type TandemProcess } from "./support";

const isRoot = backend("root (the tests mount a small file system)", process.getuid?.() === 0);
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

describe.skipIf(!isRoot)("Tandem's data directory full", () => {
  let rig: FaultRig;
  let p: TandemProcess;
  let guestId: string;
  const dbFile = () => path.join(rig.dataDir, "tandem.db");
  const filler = () => path.join(rig.dataDir, "filler");

  beforeAll(async () => {
    rig = new FaultRig("fake");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m,mode=0755", "tandem-fault", rig.dataDir]);
    copyFileSync(process.env.TANDEM_TEST_TEMPLATE_DB!, dbFile());
    p = await rig.start();
    const g = await p.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: "before-full",
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 64,
    });
    guestId = g.body.guest.id;
    await until(
      async () =>
        (await p.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${guestId}`)).body.guest.state === "running",
    );
  });
  afterAll(async () => {
    await p?.stop();
    await rig?.cleanup();
  });

  it("answers writes with a clear 507 while reads keep working, and leaves no half-made guest", async () => {
    try {
      execFileSync("dd", ["if=/dev/zero", `of=${filler()}`, "bs=1M", "count=64"], { stdio: "ignore" });
    } catch {
      // dd stops at ENOSPC: that is the point
    }
    const full = { code: "INSUFFICIENT_RESOURCES", message: expect.stringMatching(/data directory is full/) };
    // Small rows may still fit in pages SQLite already has: write until the disk says no.
    let token: Response | null = null;
    for (let i = 0; i < 200 && (!token || token.status === 201); i++) {
      token = await p.admin.raw("POST", "/api/v1/tokens", { name: "t".repeat(100) });
    }
    expect(token!.status).toBe(507);
    expect(await errorOf(token!)).toEqual(full);

    const create = await p.admin.raw("POST", "/api/v1/guests", {
      kind: "vm",
      name: "while-full",
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 64,
    });
    expect(create.status).toBe(507);
    const list = await p.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests");
    expect(list.status).toBe(200);
    expect(list.body.guests.map((g) => g.name)).toEqual(["before-full"]);

    const upload = await p.admin.raw("POST", "/api/v1/images?name=big&kind=vm&format=raw", "x".repeat(256 * 1024), {
      "content-type": "application/octet-stream",
    });
    expect(upload.status).toBe(507);
    const uploads = path.join(rig.dataDir, "images", "uploads");
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);

    expect((await new Client(p.url).login()).status).toBe(507);
    const s = await connectSocket(p.url, { cookie: p.admin.cookie });
    const ack = await new Promise<{ ok: boolean; error?: { code: string } }>((r) =>
      s.emit("guest:action", { id: guestId, action: "pause" }, r),
    );
    s.close();
    expect(ack).toMatchObject({ ok: false, error: { code: "INSUFFICIENT_RESOURCES" } });

    expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
    expect(p.child.exitCode).toBeNull();
  });

  it("recovers as soon as there is space again", async () => {
    execFileSync("rm", ["-f", filler()]);
    expect((await p.admin.raw("POST", "/api/v1/tokens", { name: "after" })).status).toBe(201);
    expect((await new Client(p.url).login()).status).toBe(200);
    const act = await p.admin.json<{ taskId: string }>("POST", `/api/v1/guests/${guestId}/actions`, {
      action: "pause",
    });
    expect(act.status).toBe(202);
    await until(
      async () =>
        (await p.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${guestId}`)).body.guest.state === "paused",
    );
  });

  it("leaves a database that passes SQLite's integrity check", async () => {
    await p.stop();
    expect(await p.exited).toBe(0);
    expect(await integrityCheck(dbFile())).toBe("ok");
  });
});

describe.skipIf(!isRoot)("Tandem's data directory read-only", () => {
  let rig: FaultRig;
  const dbFile = () => path.join(rig.dataDir, "tandem.db");
  const readOnly = () => {
    execFileSync("mount", ["--bind", rig.dataDir, rig.dataDir]);
    execFileSync("mount", ["-o", "remount,bind,ro", rig.dataDir]);
  };
  beforeAll(() => {
    rig = new FaultRig("fake");
  });
  afterAll(() => rig?.cleanup());

  it("mid-run: new files are refused with a clear 503, and work resumes once writable", async () => {
    const p = await rig.start();
    try {
      readOnly();
      const upload = await p.admin.raw("POST", "/api/v1/images?name=ro&kind=vm&format=raw", "disk", {
        "content-type": "application/octet-stream",
      });
      expect(upload.status, p.output()).toBe(503);
      expect(await errorOf(upload)).toEqual({
        code: "BACKEND_UNAVAILABLE",
        message: expect.stringMatching(/data directory is read-only/),
      });
      expect((await p.admin.raw("GET", "/api/v1/guests")).status).toBe(200);
      expect(p.child.exitCode).toBeNull();
      execFileSync("umount", [rig.dataDir]);
      const again = await p.admin.raw("POST", "/api/v1/images?name=rw&kind=vm&format=raw", "disk", {
        "content-type": "application/octet-stream",
      });
      expect(again.status).toBe(201);
    } finally {
      await p.stop();
    }
    expect(await integrityCheck(dbFile())).toBe("ok");
  });

  it("at start: refuses to start with a message naming the directory, and touches nothing", async () => {
    const sum = () => createHash("sha256").update(readFileSync(dbFile())).digest("hex");
    // Fold the WAL that earlier processes left into the file first: a checkpoint by a lingering
    // reader's close (the integrity check's connection) must not look like a write by Tandem.
    await checkpoint(dbFile());
    const before = sum();
    readOnly();
    try {
      await expect(rig.start()).rejects.toThrow(/data directory .* is not writable \(EROFS\)/);
    } finally {
      execFileSync("umount", [rig.dataDir]);
    }
    expect(sum()).toBe(before);
    expect(await integrityCheck(dbFile())).toBe("ok");
  });
});
