// Short-lived, single-use tickets for the graphical console websocket. A browser cannot put an
// Authorization header on a WebSocket, and a cookie alone would let any page the user visits
// try; a ticket is bound to the user who asked for it and to one guest, and dies on first use.
import { randomSecret } from "./passwords";

interface Ticket {
  userId: string;
  guestId: string;
  expiresAt: number;
}

export class ConsoleTickets {
  private readonly tickets = new Map<string, Ticket>();
  constructor(
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  issue(userId: string, guestId: string): { ticket: string; expiresInSeconds: number } {
    this.prune();
    const ticket = randomSecret(24);
    this.tickets.set(ticket, { userId, guestId, expiresAt: this.now() + this.ttlMs });
    return { ticket, expiresInSeconds: Math.round(this.ttlMs / 1000) };
  }

  /** The guest id if the ticket is valid for this user; the ticket is gone either way. */
  consume(ticket: string, userId: string): string | null {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!t || t.expiresAt <= this.now() || t.userId !== userId) return null;
    return t.guestId;
  }

  private prune() {
    const now = this.now();
    for (const [k, t] of this.tickets) if (t.expiresAt <= now) this.tickets.delete(k);
  }
}
