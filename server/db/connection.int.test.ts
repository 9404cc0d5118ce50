// The database connection over a server's life: transactions must not open connections that
// are never closed (each one held the database and WAL files open: a server creating guests for
// days ran out of descriptors), and the per-connection PRAGMAs openDb sets must still hold after
// transactions (foreign keys enforced, the busy timeout kept).
import { copyFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "./client";

let dir: string;
let dbFile: string;
let db: Db;

/** This process's open descriptors on the test database and its WAL and shared-memory files. */
function openOnDb(): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dbFile);
    } catch {
      return false; // closed between the listing and the read
    }
  }).length;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "tandem-db-conn-"));
  dbFile = path.join(dir, "tandem.db");
  copyFileSync(process.env.TANDEM_TEST_TEMPLATE_DB!, dbFile);
  db = await openDb(`file:${dbFile}`);
  await db.user.create({ data: { id: "u1", username: "ann", passwordHash: "x", role: "operator" } });
});

afterAll(async () => {
  await db?.$disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe("one connection for the life of the process", () => {
  it("transactions, one after another and at once, leave no descriptor behind", async () => {
    await db.$transaction([db.user.count(), db.user.count()]);
    const before = openOnDb();
    for (let i = 0; i < 30; i++) await db.$transaction([db.user.count(), db.user.findMany()]);
    await Promise.all(Array.from({ length: 20 }, () => db.$transaction([db.user.count()])));
    expect(openOnDb()).toBe(before);
  });

  it("the PRAGMAs openDb set still hold after transactions", async () => {
    await db.$transaction([db.user.count()]);
    const [fk] = await db.$queryRawUnsafe<{ foreign_keys: bigint | number }[]>("PRAGMA foreign_keys");
    const [busy] = await db.$queryRawUnsafe<{ timeout: bigint | number }[]>("PRAGMA busy_timeout");
    expect(Number(fk!.foreign_keys)).toBe(1);
    expect(Number(busy!.timeout)).toBe(5000);
    // And foreign keys are really enforced: a session for a user that does not exist is refused.
    await expect(
      db.session.create({
        data: { id: "s-orphan", userId: "nobody", csrfToken: "c", expiresAt: new Date(Date.now() + 60_000) },
      }),
    ).rejects.toThrow();
  });
});
