// Users, sessions, API tokens and sign-in. The HTTP and socket layers ask this service who a
// request is; they never read the auth tables themselves. Every change that takes a right away
// (sign-out, password change or reset, role change, user deletion, token revocation) is told to
// the live-connection registry right after the database has it, so open sockets, shells and
// streams lose it too.
import { randomUUID } from "node:crypto";
import type { ApiTokenInfo, Role, UserInfo } from "../contract/auth";
import { Role as RoleSchema } from "../contract/auth";
import type { Db } from "../db/client";
import { sessionWithUser, tokenWithUser } from "../db/credentials";
import { AppError } from "../domain/errors";
import type { DeviceTrust } from "./device-trust";
import { HashSlots, type SlotLimits } from "./hash-slots";
import type { LiveConnections } from "./live-connections";
import type { Principal } from "./principal";
import { dummyHash, hashPassword, needsRehash, randomSecret, sha256, verifyPassword } from "./passwords";
import { ProgressiveDelay } from "./rate-limiter";

export type { Principal } from "./principal";

/** Who is signing in, as the transport layer sees it. */
export interface SignInClient {
  address: string;
  /** The device cookie the browser sent, if any. */
  device?: string;
}

/** The session cookie's name over plain HTTP; over TLS it is `__Host-` + this (transport.ts). */
export const SESSION_COOKIE = "tandem_session";
export const TOKEN_PREFIX = "tdm_";
const LAST_USED_RESOLUTION_MS = 60_000;
const MINUTE = 60_000;

export const DEFAULT_SLOTS: SlotLimits = { total: 2, perAddress: 2, perUser: 1 };

export class AuthService {
  /** Failures from one address, whatever the user name (guessing across many names). */
  private readonly byAddress = new ProgressiveDelay({ free: 20, baseMs: 1000, capMs: MINUTE, forgetMs: 15 * MINUTE });
  /** Failures for one user name from clients that have never signed in as that user. */
  private readonly byUser = new ProgressiveDelay({ free: 10, baseMs: 1000, capMs: 30_000, forgetMs: 15 * MINUTE });
  /** Failures from one trusted device (its own budget; strangers' failures do not count). */
  private readonly byDevice = new ProgressiveDelay({ free: 10, baseMs: 1000, capMs: MINUTE, forgetMs: 15 * MINUTE });
  /** Wrong current passwords on a password change, per user (a stolen session guessing). */
  private readonly byPasswordChange = new ProgressiveDelay({
    free: 5,
    baseMs: 1000,
    capMs: MINUTE,
    forgetMs: 15 * MINUTE,
  });
  private readonly slots: HashSlots;
  /** When each token's lastUsedAt was last written (see fromBearer). */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly opts: {
      sessionTtlMs: number;
      tokenTtlMs: number;
      live: LiveConnections;
      devices: DeviceTrust;
      slots?: SlotLimits;
    },
  ) {
    this.slots = new HashSlots(opts.slots ?? DEFAULT_SLOTS);
  }

  /** Password hashes run so far and at most at once (tests, /metrics). */
  get hashStats(): Readonly<HashSlots["stats"]> {
    return this.slots.stats;
  }

  private get live() {
    return this.opts.live;
  }

  /** Runs authenticated hashing (not a sign-in) in its turn for an overall slot. */
  private async queued<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.slots.take();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Creates `admin` on first start. Returns the generated password to print once, if any. */
  async ensureAdmin(fixedPassword?: string): Promise<string | null> {
    if ((await this.db.user.count()) > 0) return null;
    const password = fixedPassword ?? randomSecret(12);
    const passwordHash = await this.queued(() => hashPassword(password));
    await this.db.user.create({ data: { id: randomUUID(), username: "admin", passwordHash, role: "admin" } });
    return fixedPassword ? null : password;
  }

  /**
   * Signs in. The attempt is counted as a failure before the password is hashed (a success gives
   * it back), and it needs free hash slots; otherwise it is refused at once with RATE_LIMITED.
   * Returns a new device cookie when the browser did not already hold one for this user.
   */
  async login(username: string, password: string, client: SignInClient) {
    const nameKey = username.toLowerCase();
    const device = this.opts.devices.verify(client.device, username);
    // A trusted device answers only for its own failures; anyone else for the address and name.
    const limits: [ProgressiveDelay, string][] = device
      ? [[this.byDevice, device]]
      : [
          [this.byAddress, client.address],
          [this.byUser, nameKey],
        ];
    const wait = Math.max(...limits.map(([l, k]) => l.waitMs(k)));
    if (wait > 0) throw rateLimited(`too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`, wait);
    const release = this.slots.tryTake(client.address, nameKey);
    if (!release) throw rateLimited("too many sign-ins at once; try again in a moment", 1000);
    for (const [l, k] of limits) l.reserve(k);

    let user: Awaited<ReturnType<Db["user"]["findUnique"]>> = null;
    let ok = false;
    try {
      user = await this.db.user.findUnique({ where: { username } });
      ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    } finally {
      release();
    }
    if (!user || !ok) {
      for (const [l, k] of limits) l.settle(k);
      throw new AppError("UNAUTHENTICATED", "wrong user name or password");
    }
    // A success gives back only its own reservation: earlier failures (a stranger's guesses at
    // this name) still count, so the owner's sign-in never hands an attacker a fresh allowance.
    for (const [l, k] of limits) l.refund(k);
    if (device) this.byDevice.reset(device);
    if (needsRehash(user.passwordHash)) void this.rehash(user.id, user.passwordHash, password);

    const secret = randomSecret();
    const csrfToken = randomSecret(24);
    await this.db.session.create({
      data: {
        id: sha256(secret),
        userId: user.id,
        csrfToken,
        expiresAt: new Date(Date.now() + this.opts.sessionTtlMs),
      },
    });
    return {
      cookie: secret,
      csrfToken,
      user: { id: user.id, username: user.username, role: RoleSchema.parse(user.role) },
      device: device ? null : this.opts.devices.issue(username),
    };
  }

  /** Replaces a hash made at older parameters, once its password is known to be right. */
  private async rehash(userId: string, old: string, password: string) {
    try {
      const passwordHash = await this.queued(() => hashPassword(password));
      // Only if nobody changed the password meanwhile.
      await this.db.user.updateMany({ where: { id: userId, passwordHash: old }, data: { passwordHash } });
    } catch {
      // the old hash keeps working; the next sign-in tries again
    }
  }

  async logout(principal: Principal): Promise<void> {
    if (!principal.sessionId) return;
    await this.db.session.deleteMany({ where: { id: principal.sessionId } });
    this.live.revoke({ userId: principal.userId, sessionId: principal.sessionId }, "signed out");
  }

  async fromSessionCookie(cookie: string | undefined): Promise<Principal | null> {
    if (!cookie || cookie.length > 200) return null;
    const epoch = this.live.epoch;
    const id = sha256(cookie);
    const s = await sessionWithUser(this.db, id);
    if (!s) return null;
    if (s.expiresAt.getTime() <= Date.now()) {
      await this.db.session.deleteMany({ where: { id } });
      return null;
    }
    return {
      userId: s.userId,
      username: s.username,
      role: RoleSchema.parse(s.role),
      via: "session",
      csrfToken: s.csrfToken,
      sessionId: s.id,
      expiresAt: s.expiresAt.getTime(),
      epoch,
    };
  }

  /** Who is calling: a bearer token wins over the cookie; a malformed header is nobody. */
  async resolve(authorization: string | undefined, cookie: string | undefined): Promise<Principal | null> {
    if (authorization) {
      const m = /^Bearer (\S+)$/i.exec(authorization);
      return m ? this.fromBearer(m[1]) : null;
    }
    return this.fromSessionCookie(cookie);
  }

  async fromBearer(token: string | undefined): Promise<Principal | null> {
    if (!token || !token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const epoch = this.live.epoch;
    const t = await tokenWithUser(this.db, sha256(token));
    if (!t || t.revokedAt || t.expiresAt.getTime() <= Date.now()) return null;
    // lastUsedAt is informational: written at most once a minute per token (a write per API call
    // was the largest single database cost under load), and never waited for.
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(t.id) ?? 0) >= LAST_USED_RESOLUTION_MS) {
      this.lastUsedWritten.set(t.id, now);
      void this.db.apiToken.update({ where: { id: t.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
    }
    return {
      userId: t.userId,
      username: t.username,
      role: RoleSchema.parse(t.role),
      via: "token",
      tokenId: t.id,
      expiresAt: t.expiresAt.getTime(),
      epoch,
    };
  }

  async createToken(userId: string, name: string, expiresInDays?: number) {
    const token = TOKEN_PREFIX + randomSecret();
    const ttlMs = expiresInDays ? expiresInDays * 86_400_000 : this.opts.tokenTtlMs;
    const row = await this.db.apiToken.create({
      data: {
        id: randomUUID(),
        userId,
        name,
        tokenHash: sha256(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        expiresAt: new Date(Date.now() + ttlMs),
      },
    });
    return { token, info: tokenInfo(row) };
  }

  /** A user's tokens that still work (revoked and expired ones are not shown). */
  async listTokens(userId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.db.apiToken.findMany({
      where: { userId, revokedAt: null, expiresAt: { gt: new Date() } },
      orderBy: { createdAt: "desc" },
    });
    return rows.map(tokenInfo);
  }

  async revokeToken(userId: string, id: string, isAdmin: boolean): Promise<void> {
    const row = await this.db.apiToken.findFirst({
      where: isAdmin ? { id } : { id, userId },
      select: { userId: true },
    });
    const res = row
      ? await this.db.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } })
      : { count: 0 };
    if (res.count === 0) throw new AppError("NOT_FOUND", `token '${id}' was not found`);
    this.live.revoke({ userId: row!.userId, tokenId: id }, "token revoked");
  }

  async listUsers(): Promise<UserInfo[]> {
    const rows = await this.db.user.findMany({ orderBy: { username: "asc" } });
    return rows.map((u) => ({
      id: u.id,
      username: u.username,
      role: RoleSchema.parse(u.role),
      createdAt: u.createdAt.toISOString(),
    }));
  }

  async createUser(username: string, password: string, role: Role): Promise<UserInfo> {
    if (await this.db.user.findUnique({ where: { username } })) {
      throw new AppError("CONFLICT", `user '${username}' already exists`);
    }
    const passwordHash = await this.queued(() => hashPassword(password));
    const u = await this.db.user.create({ data: { id: randomUUID(), username, role, passwordHash } });
    return { id: u.id, username: u.username, role, createdAt: u.createdAt.toISOString() };
  }

  /**
   * Changes one's own password. The user's other sessions are signed out and all their API tokens
   * revoked (a password change is what someone does who fears a leak).
   */
  async changePassword(userId: string, current: string, next: string, keepSessionId?: string): Promise<void> {
    const wait = this.byPasswordChange.waitMs(userId);
    if (wait > 0) throw rateLimited(`too many wrong passwords; try again in ${Math.ceil(wait / 1000)} s`, wait);
    this.byPasswordChange.reserve(userId);
    const user = await this.db.user.findUnique({ where: { id: userId } });
    if (!user || !(await this.queued(() => verifyPassword(current, user.passwordHash)))) {
      this.byPasswordChange.settle(userId);
      throw new AppError("FORBIDDEN", "the current password is wrong");
    }
    this.byPasswordChange.reset(userId);
    const passwordHash = await this.queued(() => hashPassword(next));
    await this.db.$transaction([
      this.db.user.update({ where: { id: userId }, data: { passwordHash } }),
      this.db.session.deleteMany({ where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) } }),
      this.db.apiToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } }),
    ]);
    this.live.revoke({ userId, via: "session", exceptSessionId: keepSessionId }, "password changed");
    this.live.revoke({ userId, via: "token" }, "password changed; tokens revoked");
  }

  /** An admin changes someone's role or sets a new password (which signs them out everywhere). */
  async updateUser(id: string, patch: { role?: Role; password?: string }): Promise<UserInfo> {
    const user = await this.db.user.findUnique({ where: { id } });
    if (!user) throw new AppError("NOT_FOUND", `user '${id}' was not found`);
    if (patch.role && patch.role !== "admin" && user.role === "admin") {
      const admins = await this.db.user.count({ where: { role: "admin" } });
      if (admins <= 1) throw new AppError("CONFLICT", "this is the last admin; make someone else admin first");
    }
    const passwordHash = patch.password ? await this.queued(() => hashPassword(patch.password!)) : undefined;
    const [u] = await this.db.$transaction([
      this.db.user.update({
        where: { id },
        data: { ...(patch.role ? { role: patch.role } : {}), ...(passwordHash ? { passwordHash } : {}) },
      }),
      ...(passwordHash
        ? [
            this.db.session.deleteMany({ where: { userId: id } }),
            this.db.apiToken.updateMany({ where: { userId: id, revokedAt: null }, data: { revokedAt: new Date() } }),
          ]
        : []),
    ]);
    const role = RoleSchema.parse(u.role);
    if (passwordHash) this.live.revoke({ userId: id }, "password reset by an admin");
    else if (patch.role) this.live.setRole(id, role);
    return { id: u.id, username: u.username, role, createdAt: u.createdAt.toISOString() };
  }

  async deleteUser(id: string, actingUserId: string): Promise<void> {
    if (id === actingUserId) throw new AppError("CONFLICT", "you cannot delete yourself");
    const res = await this.db.user.deleteMany({ where: { id } });
    if (res.count === 0) throw new AppError("NOT_FOUND", `user '${id}' was not found`);
    this.live.revoke({ userId: id }, "user deleted");
  }
}

function rateLimited(message: string, waitMs: number) {
  return new AppError("RATE_LIMITED", message, { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
}

function tokenInfo(t: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date;
}): ApiTokenInfo {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt.toISOString(),
  };
}
