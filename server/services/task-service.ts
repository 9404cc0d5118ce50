// The activity log. Long operations run as tasks: recorded before they start, progress pushed
// as it happens, result or error recorded at the end. Each task is recorded with its typed kind
// and the parameters recovery needs: tasks left running by a stopped process are marked failed
// at start-up and handed to task-recovery.ts, which finishes or rolls back what they touched.
// A recorded error is what any viewer may read (domain/public-error.ts); the detail behind a
// withheld one is in the log under its ref.
// Under load the log's writes are group-committed: a write joins the batch being gathered while
// the previous one commits, so N tasks starting or ending together cost one commit, not N (each
// SQLite commit runs on the event loop), each as raw SQL (db/task-rows.ts: this service holds
// the row it writes, so no plan is compiled and nothing read back). A task still running is read
// from memory, and so is one that finished lately: a client following its task reads it once
// more after the end (no other code writes a task row of this process, so the copy is the row).
import { randomUUID } from "node:crypto";
import { TaskKind, TaskState, type Task } from "../contract/task";
import type { Db } from "../db/client";
import { insertTaskRow, updateTaskRow, type TaskRow } from "../db/task-rows";
import { isAppError, notFound } from "../domain/errors";
import { publicError } from "../domain/public-error";
import type { Bus } from "./bus";

export interface Actor {
  userId: string | null;
  username: string;
}

export interface TaskTarget {
  kind: string;
  id?: string | null;
  name?: string | null;
}

/** What a restarted Tandem needs to finish or roll back a task of this kind. */
export interface TaskParams {
  /** delete: also remove the guest's disks. */
  purge?: boolean;
  /** snapshot-*: the snapshot's name. */
  snapshot?: string;
  /** recover: the kind of the task being recovered. */
  recovers?: TaskKind;
}

export interface TaskSpec {
  kind: TaskKind;
  /** The line people read in the activity log. */
  action: string;
  params?: TaskParams;
}

/** A task a previous process left queued or running, now marked failed. */
export interface InterruptedTask {
  id: string;
  kind: TaskKind;
  action: string;
  params: TaskParams;
  targetKind: string;
  targetId: string | null;
  targetName: string | null;
}

/** One write of a task row, made when its batch commits (Prisma runs a batch as one transaction). */
type RowWrite = () => ReturnType<typeof updateTaskRow>;

export const INTERRUPTED = "interrupted: Tandem stopped before the task finished";
/** Finished tasks kept for get(), newest last: a follower's last poll comes within seconds. */
const RECENT_FINISHED = 512;

export class TaskService {
  /** Tasks of this process not yet finished, as last written: what polling clients read. */
  private readonly live = new Map<string, Task>();
  /** Tasks of this process that finished lately, as recorded (insertion order = age). */
  private readonly finished = new Map<string, Task>();
  private readonly queue: { write: RowWrite; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private committing = false;

  constructor(
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: { error: (o: object, msg: string) => void },
  ) {}

  /** Marks tasks left queued or running by a previous process as failed; returns them, oldest first. */
  async failInterrupted(): Promise<InterruptedTask[]> {
    const where = { state: { in: ["queued", "running"] } };
    const rows = await this.db.task.findMany({ where, orderBy: { createdAt: "asc" } });
    if (rows.length === 0) return [];
    await this.db.task.updateMany({
      where: { id: { in: rows.map((r) => r.id) } },
      data: { state: "failed", error: INTERRUPTED, finishedAt: new Date() },
    });
    return rows.map((r) => ({
      id: r.id,
      kind: kindOf(r.kind),
      action: r.action,
      params: parseParams(r.params),
      targetKind: r.targetKind,
      targetId: r.targetId,
      targetName: r.targetName,
    }));
  }

  /** Adds what became of an interrupted task to its recorded error (the activity log says which). */
  async noteOutcome(id: string, outcome: string): Promise<void> {
    const row = await this.db.task.update({ where: { id }, data: { error: `${INTERRUPTED}; ${outcome}` } });
    if (this.finished.has(id)) this.rememberFinished(toTask(row));
    this.bus.emit("task:update", toTask(row));
  }

  /**
   * Records a task and runs `work` in the background. Returns the task id at once.
   * `work` reports progress; its resolved value is ignored, its error is recorded.
   */
  async start(
    actor: Actor,
    spec: TaskSpec,
    target: TaskTarget,
    work: (progress: (percent: number, message?: string) => void, setTarget: (t: TaskTarget) => void) => Promise<void>,
  ): Promise<string> {
    const id = randomUUID();
    const { action } = spec;
    const now = new Date();
    // The row as the database has it: updates are written whole from here, nothing read back.
    let row: TaskRow = {
      id,
      userId: actor.userId,
      username: actor.username,
      kind: spec.kind,
      action,
      params: spec.params ? JSON.stringify(spec.params) : null,
      targetKind: target.kind,
      targetId: target.id ?? null,
      targetName: target.name ?? null,
      state: "running",
      progress: 0,
      message: "",
      error: null,
      createdAt: now,
      startedAt: now,
      finishedAt: null,
    };
    // Recorded before the work starts (recovery depends on it): this waits for its batch.
    await this.write(() => insertTaskRow(this.db, row));
    this.publish(row);
    /** Writes the row with `change` applied; the held copy moves on once the database has it. */
    const update = async (change: Partial<TaskRow>): Promise<TaskRow> => {
      const next = { ...row, ...change };
      await this.write(() => updateTaskRow(this.db, next));
      row = next;
      return next;
    };
    // Progress writes are coalesced: the latest value wins, one write in flight at a time.
    let pending: { percent: number; message?: string } | null = null;
    let writing: Promise<void> = Promise.resolve();
    const flush = () => {
      writing = writing.then(async () => {
        if (!pending) return;
        const p = pending;
        pending = null;
        const next = await update({
          progress: Math.max(0, Math.min(100, Math.round(p.percent))),
          ...(p.message ? { message: p.message } : {}),
        });
        this.publish(next);
      });
    };
    const progress = (percent: number, message?: string) => {
      pending = { percent, message };
      flush();
    };
    const setTarget = (t: TaskTarget) => {
      writing = writing.then(async () => {
        const next = await update({ targetId: t.id ?? null, targetName: t.name ?? null });
        if (this.live.has(id)) this.live.set(id, toTask(next));
      });
    };
    void (async () => {
      let error: string | null = null;
      try {
        await work(progress, setTarget);
      } catch (e) {
        // Every signed-in user reads tasks: backend stderr and host paths go to the log only,
        // under the reference the recorded error names.
        const shown = publicError(e);
        error = shown.message;
        if (shown.ref || !isAppError(e)) this.log.error({ err: e, taskId: id, action, ref: shown.ref }, "task failed");
      }
      await writing.catch(() => {});
      await update({
        state: error ? "failed" : "succeeded",
        progress: error ? row.progress : 100,
        error,
        finishedAt: new Date(),
      })
        .then((done) => this.publish(done))
        .catch((e) => this.log.error({ err: e, taskId: id }, "could not record task result"))
        .finally(() => this.live.delete(id));
    })();
    return id;
  }

  async get(id: string): Promise<Task> {
    const live = this.live.get(id) ?? this.finished.get(id);
    if (live) return live;
    const row = await this.db.task.findUnique({ where: { id } });
    if (!row) throw notFound("task", id);
    return toTask(row);
  }

  async list(opts: { limit: number; targetId?: string }): Promise<Task[]> {
    const rows = await this.db.task.findMany({
      where: opts.targetId ? { targetId: opts.targetId } : {},
      orderBy: { createdAt: "desc" },
      take: opts.limit,
    });
    return rows.map(toTask);
  }

  /** Pushes a row to every browser; an unfinished task is kept for get(). */
  private publish(row: TaskRow): void {
    const task = toTask(row);
    if (task.state === "running" || task.state === "queued") this.live.set(task.id, task);
    else {
      this.live.delete(task.id);
      this.rememberFinished(task);
    }
    this.bus.emit("task:update", task);
  }

  private rememberFinished(task: Task): void {
    this.finished.delete(task.id);
    this.finished.set(task.id, task);
    if (this.finished.size > RECENT_FINISHED) this.finished.delete(this.finished.keys().next().value!);
  }

  /** Queues one row write; resolves once its batch has committed. */
  private write(write: RowWrite): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.committing) void this.commit();
    });
  }

  /** Commits queued writes, a batch at a time, until none is left. */
  private async commit(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0);
        if (batch.length === 1) {
          await batch[0]!.write().then(() => batch[0]!.resolve(), batch[0]!.reject);
          continue;
        }
        try {
          await this.db.$transaction(batch.map((w) => w.write()));
          batch.forEach((w) => w.resolve());
        } catch {
          // One failing write must not fail the others: each again on its own, with its own result.
          for (const w of batch) await w.write().then(() => w.resolve(), w.reject);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /** Resolves when the task has finished (for tests and synchronous API callers). */
  async waitFor(id: string, timeoutMs = 60_000): Promise<Task> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await this.get(id);
      if (t.state === "succeeded" || t.state === "failed") return t;
      if (Date.now() > deadline) return t;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function kindOf(raw: string): TaskKind {
  const k = TaskKind.safeParse(raw);
  return k.success ? k.data : "recover";
}

function parseParams(raw: string | null): TaskParams {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === "object" ? (v as TaskParams) : {};
  } catch {
    return {};
  }
}

function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    username: r.username,
    kind: kindOf(r.kind),
    action: r.action,
    targetKind: r.targetKind,
    targetId: r.targetId,
    targetName: r.targetName,
    state: TaskState.parse(r.state),
    progress: r.progress,
    message: r.message,
    error: r.error,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}
