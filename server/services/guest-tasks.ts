// Runs work on one existing guest as a task under that guest's lock: the lock is taken before
// the task is recorded (a second task on the guest gets CONFLICT, not a queued surprise) and
// released before the guest's new state is pushed, so a client reacting to it can act at once.
import type { TaskTarget } from "./task-service";
import type { Actor, TaskService, TaskSpec } from "./task-service";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestLocks } from "./guest-locks";

export type TaskWork = (progress: (percent: number, message?: string) => void) => Promise<void>;

export class GuestTasks {
  constructor(
    private readonly locks: GuestLocks,
    private readonly tasks: TaskService,
    private readonly catalog: GuestCatalog,
  ) {}

  /**
   * `publish: false` for work after which the guest is gone (a delete). Returns once the task
   * is recorded; the work runs in the background.
   */
  async run(
    actor: Actor,
    guest: { id: string; name: string; kind: string },
    spec: TaskSpec,
    work: TaskWork,
    opts: { publish: boolean } = { publish: true },
  ): Promise<{ taskId: string }> {
    const release = this.locks.claim(guest.id, guest.name);
    const target: TaskTarget = { kind: guest.kind, id: guest.id, name: guest.name };
    try {
      const taskId = await this.tasks.start(actor, spec, target, async (progress) => {
        try {
          await work(progress);
        } finally {
          release();
        }
        if (opts.publish) await this.catalog.publish(guest.id).catch(() => {});
      });
      return { taskId };
    } catch (e) {
      release();
      throw e;
    }
  }
}
