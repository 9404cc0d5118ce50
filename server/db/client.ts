// The Prisma client over libsql (no engine binary needed). One per process, made by main.ts.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";

export type Db = PrismaClient;

export async function openDb(url: string): Promise<Db> {
  const db = new PrismaClient({ adapter: new PrismaLibSQL({ url }) });
  // WAL keeps readers (the UI) from blocking the metrics writer; busy_timeout rides out
  // short write contention instead of failing with SQLITE_BUSY.
  await db.$queryRawUnsafe("PRAGMA journal_mode=WAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout=5000");
  // With WAL, NORMAL never corrupts the file; a power cut may only lose the last commits
  // (task progress, metric points), and each commit stops waiting for an fsync.
  await db.$queryRawUnsafe("PRAGMA synchronous=NORMAL");
  await db.$queryRawUnsafe("PRAGMA foreign_keys=ON");
  return db;
}
