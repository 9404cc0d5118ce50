// Per-guest exclusion: at most one task changes a guest at a time (create, lifecycle actions,
// delete, snapshots, recovery). A task that only reads a guest throughout — a clone reading its
// source — takes a shared claim: several clones of one source run side by side, while anything
// that would change or delete the source waits for them to end. A claim that cannot be granted
// gets CONFLICT at once; nothing queues, so a client never waits on work it cannot see.
import { AppError } from "../domain/errors";

export class GuestLocks {
  /** Guests held by one changing task. */
  private readonly exclusive = new Set<string>();
  /** Guests read by tasks, with how many hold them. */
  private readonly shared = new Map<string, number>();

  /** Claims `id` alone or throws CONFLICT; the returned function releases it (idempotent). */
  claim(id: string, name: string): () => void {
    if (this.isBusy(id)) throw busy(name);
    this.exclusive.add(id);
    return once(() => this.exclusive.delete(id));
  }

  /** Claims `id` for reading, beside other readers; CONFLICT while a changing task holds it. */
  claimShared(id: string, name: string): () => void {
    if (this.exclusive.has(id)) throw busy(name);
    this.shared.set(id, (this.shared.get(id) ?? 0) + 1);
    return once(() => {
      const n = (this.shared.get(id) ?? 1) - 1;
      if (n > 0) this.shared.set(id, n);
      else this.shared.delete(id);
    });
  }

  isBusy(id: string): boolean {
    return this.exclusive.has(id) || this.shared.has(id);
  }
}

const busy = (name: string) =>
  new AppError("CONFLICT", `${name} is busy with another task; try again when it finishes`);

function once(release: () => void): () => void {
  let held = true;
  return () => {
    if (held) release();
    held = false;
  };
}
