// Which live connections act for which session, API token and user: socket.io connections,
// console and exec streams, VNC splices, log follows. Credentials are checked once when such a
// connection opens; this registry is how taking a right away reaches it afterwards. AuthService
// tells it synchronously, right after the database changed, about every sign-out, password
// change or reset, token revocation, role change and user deletion; a once-a-second sweep ends
// what reaches its expiry. Each tracked connection says which role it needs: it is ended when
// its principal is revoked or no longer holds that role (a demoted operator's socket lives on as
// a viewer's, its exec shell does not).
import { hasRole, type Role } from "../contract/auth";
import type { Principal } from "./principal";

/** Which principals a revocation hits. Every given field must match. */
export interface Selector {
  userId?: string;
  sessionId?: string;
  tokenId?: string;
  via?: Principal["via"];
  /** Spares this session (the one that changed its own password). */
  exceptSessionId?: string;
}

interface Entry {
  principal: Principal;
  needs: Role;
  end: (reason: string) => void;
}

/** What happened at an epoch, kept a while for connections whose principal was resolved before. */
interface Change {
  epoch: number;
  at: number;
  selector: Selector;
  reason?: string;
  role?: Role;
}

const CHANGE_MEMORY_MS = 60_000;

const matches = (s: Selector, p: Principal) =>
  (s.userId === undefined || p.userId === s.userId) &&
  (s.sessionId === undefined || p.sessionId === s.sessionId) &&
  (s.tokenId === undefined || p.tokenId === s.tokenId) &&
  (s.via === undefined || p.via === s.via) &&
  (s.exceptSessionId === undefined || p.sessionId !== s.exceptSessionId);

export class LiveConnections {
  private readonly byUser = new Map<string, Set<Entry>>();
  private epochNow = 0;
  /** Changes of the last minute, oldest first; `floor` is the epoch before the oldest kept. */
  private changes: Change[] = [];
  private floor = 0;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly sweepMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stamped on a principal before its credentials are read (see `track`). */
  get epoch(): number {
    return this.epochNow;
  }

  /** How many connections are tracked (for /metrics and tests). */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  /**
   * Follows a connection acting for `principal` that needs `needs`. `end` is called once, at
   * most, when that no longer holds; the returned function stops following (call it when the
   * connection closes by itself). The principal object's role is updated in place on a role
   * change, so handlers that read it see the current role.
   */
  track(principal: Principal, needs: Role, end: (reason: string) => void): () => void {
    // Changes made while this principal was being resolved (after its credentials were read,
    // before this call) were not seen by anyone: apply them now.
    if (principal.epoch < this.floor) return this.endNow(end, "credentials too old; sign in again");
    for (const c of this.changes) {
      if (c.epoch <= principal.epoch || !matches(c.selector, principal)) continue;
      if (c.role) principal.role = c.role;
      else return this.endNow(end, c.reason ?? "revoked");
    }
    if (principal.expiresAt <= this.now()) return this.endNow(end, "expired");
    if (!hasRole(principal.role, needs)) return this.endNow(end, `needs the ${needs} role`);
    const entry: Entry = { principal, needs, end };
    let set = this.byUser.get(principal.userId);
    if (!set) this.byUser.set(principal.userId, (set = new Set()));
    set.add(entry);
    // From here on every change reaches this principal directly, so later `track` calls with the
    // same object (an exec shell opened on a socket hours later) start from now.
    principal.epoch = this.epochNow;
    this.sweeper ??= setInterval(() => this.sweep(), this.sweepMs).unref();
    return () => this.remove(entry);
  }

  /** Ends every tracked connection of the principals `selector` picks. Returns how many. */
  revoke(selector: Selector, reason: string): number {
    this.record({ selector, reason });
    let n = 0;
    for (const e of this.candidates(selector)) {
      if (!matches(selector, e.principal)) continue;
      this.finish(e, reason);
      n++;
    }
    return n;
  }

  /** A user's role changed: their connections carry on with it, or end if it is not enough. */
  setRole(userId: string, role: Role): void {
    this.record({ selector: { userId }, role });
    for (const e of this.candidates({ userId })) {
      e.principal.role = role;
      if (!hasRole(role, e.needs)) this.finish(e, `your role is now ${role}`);
    }
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }

  private candidates(selector: Selector): Entry[] {
    if (selector.userId !== undefined) return [...(this.byUser.get(selector.userId) ?? [])];
    return [...this.byUser.values()].flatMap((s) => [...s]);
  }

  private record(c: Omit<Change, "epoch" | "at">) {
    const at = this.now();
    this.changes.push({ ...c, epoch: ++this.epochNow, at });
    let drop = 0;
    while (drop < this.changes.length && at - this.changes[drop]!.at > CHANGE_MEMORY_MS) drop++;
    if (drop) {
      this.floor = this.changes[drop - 1]!.epoch;
      this.changes = this.changes.slice(drop);
    }
  }

  private sweep() {
    const t = this.now();
    for (const set of this.byUser.values()) {
      for (const e of set) if (e.principal.expiresAt <= t) this.finish(e, "expired");
    }
    if (this.byUser.size === 0) this.close();
  }

  private finish(e: Entry, reason: string) {
    this.remove(e);
    try {
      e.end(reason);
    } catch {
      // a connection that fails to close itself must not stop the others from closing
    }
  }

  private remove(e: Entry) {
    const set = this.byUser.get(e.principal.userId);
    if (!set?.delete(e)) return;
    if (set.size === 0) this.byUser.delete(e.principal.userId);
  }

  private endNow(end: (reason: string) => void, reason: string): () => void {
    end(reason);
    return () => {};
  }
}
