// The Prisma client over libsql (no engine binary needed). One per process, made by main.ts.
import { createClient, type Config } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";

export type Db = PrismaClient;

/**
 * Prisma's libsql adapter, on the project's own @libsql/client with exactly one connection.
 * The adapter's bundled client (0.8) hands its connection to every transaction and opens a new
 * one for the next call without ever closing the old: each `$transaction` leaked the database
 * and WAL file descriptors (two per guest create, ~340 pairs after 500 creates) and left later
 * statements on a connection without the per-connection PRAGMAs below. The adapter already
 * serialises every call and transaction behind one lock, so one pooled connection costs nothing
 * and keeps the PRAGMAs for the life of the process (server/db/connection.int.test.ts).
 */
class SingleConnectionLibSQL extends PrismaLibSQL {
  override createClient(config: Config) {
    return createClient({ ...config, concurrency: 1 }) as unknown as ReturnType<PrismaLibSQL["createClient"]>;
  }
}

export async function openDb(url: string): Promise<Db> {
  const db = new PrismaClient({ adapter: new SingleConnectionLibSQL({ url }) });
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
