// The per-request credential look-ups: an API token or a session together with its user, each
// as ONE joined SQL statement. Every authenticated API call and socket handshake runs one of
// these, so they are the hottest queries Tandem has: through Prisma's `include` each was two
// statements plus a query-plan compile (~1.8 ms of CPU per call; under the load bench they were
// 87 % of all statements), as raw SQL one statement (~0.4 ms). Nothing is cached: a token
// revoked or expired in the database (by any path, even a direct write) is refused on the next
// call.
import { Prisma } from "@prisma/client";
import type { Db } from "./client";

export interface TokenRow {
  id: string;
  userId: string;
  expiresAt: Date;
  revokedAt: Date | null;
  username: string;
  role: string;
}

export interface SessionRow {
  id: string;
  userId: string;
  csrfToken: string;
  expiresAt: Date;
  username: string;
  role: string;
}

export async function tokenWithUser(db: Db, tokenHash: string): Promise<TokenRow | null> {
  const rows = await db.$queryRaw<TokenRow[]>(Prisma.sql`
    SELECT t.id, t.userId, t.expiresAt, t.revokedAt, u.username, u.role
    FROM ApiToken t JOIN User u ON u.id = t.userId
    WHERE t.tokenHash = ${tokenHash}`);
  const r = rows[0];
  return r
    ? { ...r, expiresAt: asDate(r.expiresAt), revokedAt: r.revokedAt === null ? null : asDate(r.revokedAt) }
    : null;
}

export async function sessionWithUser(db: Db, id: string): Promise<SessionRow | null> {
  const rows = await db.$queryRaw<SessionRow[]>(Prisma.sql`
    SELECT s.id, s.userId, s.csrfToken, s.expiresAt, u.username, u.role
    FROM Session s JOIN User u ON u.id = s.userId
    WHERE s.id = ${id}`);
  const r = rows[0];
  return r ? { ...r, expiresAt: asDate(r.expiresAt) } : null;
}

/** Prisma types DATETIME columns of a raw result as Dates; a value it could not is read as stored. */
function asDate(v: unknown): Date {
  return v instanceof Date ? v : new Date(typeof v === "number" || typeof v === "bigint" ? Number(v) : String(v));
}
