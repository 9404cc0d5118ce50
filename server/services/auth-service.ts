// Users, sessions, API tokens and the login limiter. The HTTP and socket layers ask this service
// who a request is; they never read the auth tables themselves.
import { randomUUID } from "node:crypto";
import type { ApiTokenInfo, Role, UserInfo } from "../contract/auth";
import { Role as RoleSchema } from "../contract/auth";
import type { Db } from "../db/client";
import { AppError } from "../domain/errors";
import { dummyHashPromise, hashPassword, randomSecret, sha256, verifyPassword } from "./passwords";
import { RateLimiter } from "./rate-limiter";

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  via: "session" | "token";
  /** Present for cookie sessions: writes must echo it in x-csrf-token. */
  csrfToken?: string;
  sessionId?: string;
}

export const SESSION_COOKIE = "tandem_session";
const TOKEN_PREFIX = "tdm_";
const LAST_USED_RESOLUTION_MS = 60_000;

export class AuthService {
  private readonly byAddress = new RateLimiter(20, 60_000);
  private readonly byUser = new RateLimiter(10, 60_000);
  /** When each token's lastUsedAt was last written (see fromBearer). */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly sessionTtlMs: number,
  ) {}

  /** Creates `admin` on first start. Returns the generated password to print once, if any. */
  async ensureAdmin(fixedPassword?: string): Promise<string | null> {
    if ((await this.db.user.count()) > 0) return null;
    const password = fixedPassword ?? randomSecret(12);
    await this.db.user.create({
      data: { id: randomUUID(), username: "admin", passwordHash: await hashPassword(password), role: "admin" },
    });
    return fixedPassword ? null : password;
  }

  async login(username: string, password: string, address: string) {
    const userKey = username.toLowerCase();
    const wait = Math.max(this.byAddress.retryAfter(address), this.byUser.retryAfter(userKey));
    if (wait > 0) throw new AppError("RATE_LIMITED", `too many failed sign-ins; try again in ${wait} s`);
    const user = await this.db.user.findUnique({ where: { username } });
    const okPassword = await verifyPassword(password, user?.passwordHash ?? (await dummyHashPromise));
    if (!user || !okPassword) {
      this.byAddress.recordFailure(address);
      this.byUser.recordFailure(userKey);
      throw new AppError("UNAUTHENTICATED", "wrong user name or password");
    }
    this.byUser.reset(userKey);
    const secret = randomSecret();
    const csrfToken = randomSecret(24);
    await this.db.session.create({
      data: {
        id: sha256(secret),
        userId: user.id,
        csrfToken,
        expiresAt: new Date(Date.now() + this.sessionTtlMs),
      },
    });
    return {
      cookie: secret,
      csrfToken,
      user: { id: user.id, username: user.username, role: RoleSchema.parse(user.role) },
    };
  }

  async logout(sessionId: string): Promise<void> {
    await this.db.session.deleteMany({ where: { id: sessionId } });
  }

  async fromSessionCookie(cookie: string | undefined): Promise<Principal | null> {
    if (!cookie || cookie.length > 200) return null;
    const id = sha256(cookie);
    const s = await this.db.session.findUnique({ where: { id }, include: { user: true } });
    if (!s) return null;
    if (s.expiresAt.getTime() <= Date.now()) {
      await this.db.session.deleteMany({ where: { id } });
      return null;
    }
    return {
      userId: s.userId,
      username: s.user.username,
      role: RoleSchema.parse(s.user.role),
      via: "session",
      csrfToken: s.csrfToken,
      sessionId: s.id,
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
    const t = await this.db.apiToken.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
    if (!t || t.revokedAt || (t.expiresAt && t.expiresAt.getTime() <= Date.now())) return null;
    // lastUsedAt is informational: written at most once a minute per token (a write per API call
    // was the largest single database cost under load), and never waited for.
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(t.id) ?? 0) >= LAST_USED_RESOLUTION_MS) {
      this.lastUsedWritten.set(t.id, now);
      void this.db.apiToken.update({ where: { id: t.id }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
    }
    return { userId: t.userId, username: t.user.username, role: RoleSchema.parse(t.user.role), via: "token" };
  }

  async createToken(userId: string, name: string, expiresInDays?: number) {
    const token = TOKEN_PREFIX + randomSecret();
    const row = await this.db.apiToken.create({
      data: {
        id: randomUUID(),
        userId,
        name,
        tokenHash: sha256(token),
        prefix: token.slice(0, TOKEN_PREFIX.length + 6),
        expiresAt: expiresInDays ? new Date(Date.now() + expiresInDays * 86400_000) : null,
      },
    });
    return { token, info: tokenInfo(row) };
  }

  async listTokens(userId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.db.apiToken.findMany({
      where: { userId, revokedAt: null },
      orderBy: { createdAt: "desc" },
    });
    return rows.map(tokenInfo);
  }

  async revokeToken(userId: string, id: string, isAdmin: boolean): Promise<void> {
    const where = isAdmin ? { id, revokedAt: null } : { id, userId, revokedAt: null };
    const res = await this.db.apiToken.updateMany({ where, data: { revokedAt: new Date() } });
    if (res.count === 0) throw new AppError("NOT_FOUND", `token '${id}' was not found`);
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
    const u = await this.db.user.create({
      data: { id: randomUUID(), username, role, passwordHash: await hashPassword(password) },
    });
    return { id: u.id, username: u.username, role, createdAt: u.createdAt.toISOString() };
  }

  /** Changes one's own password; other sessions of that user are signed out. */
  async changePassword(userId: string, current: string, next: string, keepSessionId?: string): Promise<void> {
    const user = await this.db.user.findUnique({ where: { id: userId } });
    if (!user || !(await verifyPassword(current, user.passwordHash))) {
      throw new AppError("FORBIDDEN", "the current password is wrong");
    }
    await this.db.user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(next) } });
    await this.db.session.deleteMany({ where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) } });
  }

  /** An admin changes someone's role or sets a new password (which signs them out). */
  async updateUser(id: string, patch: { role?: Role; password?: string }): Promise<UserInfo> {
    const user = await this.db.user.findUnique({ where: { id } });
    if (!user) throw new AppError("NOT_FOUND", `user '${id}' was not found`);
    if (patch.role && patch.role !== "admin" && user.role === "admin") {
      const admins = await this.db.user.count({ where: { role: "admin" } });
      if (admins <= 1) throw new AppError("CONFLICT", "this is the last admin; make someone else admin first");
    }
    const u = await this.db.user.update({
      where: { id },
      data: {
        ...(patch.role ? { role: patch.role } : {}),
        ...(patch.password ? { passwordHash: await hashPassword(patch.password) } : {}),
      },
    });
    if (patch.password) await this.db.session.deleteMany({ where: { userId: id } });
    return { id: u.id, username: u.username, role: RoleSchema.parse(u.role), createdAt: u.createdAt.toISOString() };
  }

  async deleteUser(id: string, actingUserId: string): Promise<void> {
    if (id === actingUserId) throw new AppError("CONFLICT", "you cannot delete yourself");
    const res = await this.db.user.deleteMany({ where: { id } });
    if (res.count === 0) throw new AppError("NOT_FOUND", `user '${id}' was not found`);
  }
}

function tokenInfo(t: {
  id: string;
  name: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}): ApiTokenInfo {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt?.toISOString() ?? null,
  };
}
