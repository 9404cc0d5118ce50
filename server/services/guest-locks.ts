// Per-guest exclusion: at most one task touches a guest at a time (create, clone, lifecycle
// actions, delete, snapshots, recovery). A second claim on a busy guest gets CONFLICT at once;
// nothing queues, so a client never waits on work it cannot see.
import { AppError } from "../domain/errors";

export class GuestLocks {
  private readonly busy = new Set<string>();

  /** Claims `id` or throws CONFLICT; the returned function releases it (idempotent). */
  claim(id: string, name: string): () => void {
    if (this.busy.has(id)) {
      throw new AppError("CONFLICT", `${name} is busy with another task; try again when it finishes`);
    }
    this.busy.add(id);
    let held = true;
    return () => {
      if (held) this.busy.delete(id);
      held = false;
    };
  }

  isBusy(id: string): boolean {
    return this.busy.has(id);
  }
}
