// The raw-SQL paths (credentials.ts, task-rows.ts) against real SQLite: what they write Prisma
// reads back as its own rows, and what they read follows any write to the database at once.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "./client";
import { sessionWithUser, tokenWithUser } from "./credentials";
import { insertTaskRow, updateTaskRow, type TaskRow } from "./task-rows";

let dir: string;
let db: Db;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tandem-raw-rows-"));
  copyFileSync(process.env.TANDEM_TEST_TEMPLATE_DB!, path.join(dir, "tandem.db"));
  db = await openDb(`file:${path.join(dir, "tandem.db")}`);
  await db.user.create({ data: { id: "u1", username: "ann", passwordHash: "x", role: "operator" } });
});

afterAll(async () => {
  await db?.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe("task rows", () => {
  it("a row inserted and updated raw reads back through Prisma exactly as written", async () => {
    const at = new Date("2026-12-02T05:00:00.123Z");
    const row: TaskRow = {
      id: "t1",
      userId: "u1",
      username: "ann",
      kind: "pause",
      action: "pause",
      params: JSON.stringify({ purge: true }),
      targetKind: "container",
      targetId: "g1",
      targetName: "web",
      state: "running",
      progress: 0,
      message: "",
      error: null,
      createdAt: at,
      startedAt: at,
      finishedAt: null,
    };
    expect(await insertTaskRow(db, row)).toBe(1);
    expect(await db.task.findUnique({ where: { id: "t1" } })).toEqual(row);
    const done = { ...row, state: "failed", progress: 40, message: "half", error: "boom", finishedAt: new Date() };
    expect(await updateTaskRow(db, done)).toBe(1);
    expect(await db.task.findUnique({ where: { id: "t1" } })).toEqual(done);
    // Prisma's own date filters see the raw-written dates (the same stored format).
    expect(await db.task.count({ where: { createdAt: { gte: new Date(at.getTime() - 1) } } })).toBe(1);
  });
});

describe("credentials", () => {
  it("a token's expiry and revocation written by anyone are seen on the next look-up", async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    await db.apiToken.create({
      data: { id: "k1", userId: "u1", name: "n", tokenHash: "h1", prefix: "tdm_xx", expiresAt },
    });
    expect(await tokenWithUser(db, "h1")).toEqual({
      id: "k1",
      userId: "u1",
      expiresAt,
      revokedAt: null,
      username: "ann",
      role: "operator",
    });
    const past = new Date(Date.now() - 1000);
    await db.apiToken.update({ where: { id: "k1" }, data: { expiresAt: past } });
    expect((await tokenWithUser(db, "h1"))?.expiresAt).toEqual(past);
    const revokedAt = new Date();
    await db.apiToken.update({ where: { id: "k1" }, data: { revokedAt } });
    expect((await tokenWithUser(db, "h1"))?.revokedAt).toEqual(revokedAt);
    await db.user.update({ where: { id: "u1" }, data: { role: "viewer" } });
    expect((await tokenWithUser(db, "h1"))?.role).toBe("viewer");
    expect(await tokenWithUser(db, "nope")).toBeNull();
  });

  it("a session comes with its user, and is gone once deleted", async () => {
    const expiresAt = new Date(Date.now() + 60_000);
    await db.session.create({ data: { id: "s1", userId: "u1", csrfToken: "c", expiresAt } });
    expect(await sessionWithUser(db, "s1")).toEqual({
      id: "s1",
      userId: "u1",
      csrfToken: "c",
      expiresAt,
      username: "ann",
      role: "viewer",
    });
    await db.session.delete({ where: { id: "s1" } });
    expect(await sessionWithUser(db, "s1")).toBeNull();
  });
});
