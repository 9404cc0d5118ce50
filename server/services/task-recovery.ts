// Durable tasks: what a previous process left half-done is finished or rolled back when Tandem
// starts, for every task kind, by one rule — whole or not at all:
//   create, clone, snapshot-create → rolled back (the task failed, so its result must not exist);
//   delete, snapshot-revert, snapshot-delete, start/stop/shutdown/pause/resume → finished (the
//   user asked for it and it can be done again safely); reboot → not repeated (the guest may
//   have rebooted already). Each piece of work runs as a `recover` task under the guest's lock,
//   and the interrupted task's error says what became of it. A recovery cut short by another
//   stop is itself recovered on the next start (its params name the kind it recovers).
import { canAct } from "../contract/states";
import type { TaskKind } from "../contract/task";
import { canSnapshot, type DriverGuest, type GuestDriver } from "../domain/driver";
import { AppError } from "../domain/errors";
import type { DriverRegistry } from "./driver-registry";
import { removeGuest } from "./guest-lifecycle";
import type { GuestCatalog } from "./guest-catalog";
import type { GuestTasks, TaskWork } from "./guest-tasks";
import type { Logger } from "./logger";
import type { InterruptedTask, TaskParams, TaskService } from "./task-service";

const SYSTEM = { userId: null, username: "tandem" };

/** What recovery does for one interrupted task: work to run as a task, or nothing with a reason. */
type Plan = { verb: "roll back" | "finish"; work: TaskWork; guestGone: boolean } | { none: string };

export class TaskRecovery {
  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
    private readonly guestTasks: GuestTasks,
    private readonly tasks: TaskService,
    private readonly log: Logger,
    /** How long one recovery may take before start-up goes on without waiting for it. */
    private readonly waitMs = 120_000,
  ) {}

  /** Recovers each interrupted task in the order they were started; never throws. */
  async recover(interrupted: InterruptedTask[]): Promise<void> {
    for (const t of interrupted) {
      await this.recoverOne(t).catch((err: unknown) => {
        this.log.warn({ err, taskId: t.id, kind: t.kind }, "recovery of an interrupted task failed");
        return this.tasks.noteOutcome(t.id, "recovery failed on restart; see the log").catch(() => {});
      });
    }
  }

  private async recoverOne(t: InterruptedTask): Promise<void> {
    const kind = t.kind === "recover" ? t.params.recovers : t.kind;
    const id = t.targetId;
    if (!kind || kind === "recover" || !id) return;
    let driver: GuestDriver;
    try {
      driver = this.drivers.forGuest(id);
    } catch {
      return void (await this.tasks.noteOutcome(t.id, "its backend is not enabled now; nothing was changed"));
    }
    const current = await driver.get(id).catch((err: unknown) => {
      if (err instanceof AppError && err.code === "NOT_FOUND") return null;
      throw err;
    });
    const plan = await this.plan(kind, t.params, driver, id, current);
    if ("none" in plan) {
      if (!current) await this.catalog.removed(id).catch(() => {});
      await this.tasks.noteOutcome(t.id, plan.none);
      this.log.info({ taskId: t.id, kind, id, outcome: plan.none }, "interrupted task needs no recovery");
      return;
    }
    const name = current?.name ?? t.targetName ?? id;
    const what = `${plan.verb} interrupted ${kind}`;
    const params: TaskParams = { ...t.params, recovers: kind };
    const { taskId } = await this.guestTasks.run(
      SYSTEM,
      { id, name, kind: current?.kind ?? t.targetKind },
      { kind: "recover", action: what, params },
      plan.work,
      { publish: !plan.guestGone },
    );
    const done = await this.tasks.waitFor(taskId, this.waitMs);
    const outcome =
      done.state === "succeeded"
        ? `${plan.verb === "finish" ? "finished" : "rolled back"} on restart (task ${taskId})`
        : `${what} ${done.state === "failed" ? "failed" : "did not end in time"} on restart (task ${taskId})`;
    await this.tasks.noteOutcome(t.id, outcome);
    this.log.warn({ taskId: t.id, kind, id, name, recovery: taskId, state: done.state, error: done.error }, what);
  }

  private async plan(
    kind: Exclude<TaskKind, "recover">,
    params: TaskParams,
    driver: GuestDriver,
    id: string,
    current: DriverGuest | null,
  ): Promise<Plan> {
    if (kind === "create" || kind === "clone") {
      if (!current) return { none: "nothing of the guest was left" };
      return {
        verb: "roll back",
        guestGone: true,
        work: (progress) => removeGuest(driver, this.catalog, id, true, progress),
      };
    }
    if (kind === "delete") {
      if (!current) return { none: "the guest is gone; the delete is complete" };
      const purge = params.purge === true;
      return {
        verb: "finish",
        guestGone: true,
        work: (progress) => removeGuest(driver, this.catalog, id, purge, progress),
      };
    }
    if (!current) return { none: "the guest is gone" };
    if (kind === "snapshot-create" || kind === "snapshot-revert" || kind === "snapshot-delete") {
      const name = params.snapshot;
      if (!name || !canSnapshot(driver)) return { none: "nothing was changed" };
      const exists = (await driver.listSnapshots(id)).some((s) => s.name === name);
      if (kind === "snapshot-create") {
        if (!exists) return { none: "no snapshot was left" };
        return { verb: "roll back", guestGone: false, work: () => driver.deleteSnapshot(id, name) };
      }
      if (kind === "snapshot-delete") {
        if (!exists) return { none: "the snapshot is gone; the delete is complete" };
        return { verb: "finish", guestGone: false, work: () => driver.deleteSnapshot(id, name) };
      }
      if (!exists) return { none: `snapshot ${name} no longer exists; nothing was reverted` };
      return { verb: "finish", guestGone: false, work: () => driver.revertSnapshot(id, name) };
    }
    // A disk change (guest-disks.ts) is not redone: the guest's disk list shows where it stopped.
    // A move cut short may leave its copy in the target pool; the original is what the VM uses.
    if (kind === "disk-add" || kind === "disk-detach" || kind === "disk-resize" || kind === "disk-move") {
      return { none: "a disk change is not repeated; the guest's disk list shows its state" };
    }
    // A lifecycle action: done again where the guest's state still allows it.
    if (kind === "reboot") return { none: `the guest is ${current.state}; a reboot is not repeated` };
    if (!canAct(current.state, kind)) return { none: `the guest is ${current.state}; nothing left to do` };
    return { verb: "finish", guestGone: false, work: () => driver.act(id, kind) };
  }
}
