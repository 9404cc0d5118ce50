// The activity log's row writes as raw SQL. Every guest action records its task twice (start and
// end) and its progress in between; through Prisma's create/update each statement paid a
// query-plan compile and a RETURNING read-back (~2.6 ms of CPU for a create + update, against
// ~0.7 ms raw: the compiler was the largest Prisma cost left under the load bench). The task
// service holds the row it writes, so nothing needs to be read back.
// Columns and their types are those of the Task model in prisma/schema.prisma; Dates are passed
// as Dates, so Prisma stores them in the same format its own writes use.
import { Prisma, type Task as TaskRow } from "@prisma/client";
import type { Db } from "./client";

export type { TaskRow };

/** Inserts a whole row (every column given: the database's defaults are not relied on). */
export function insertTaskRow(db: Db, r: TaskRow) {
  return db.$executeRaw(Prisma.sql`
    INSERT INTO Task (id, userId, username, kind, action, params, targetKind, targetId, targetName,
                      state, progress, message, error, createdAt, startedAt, finishedAt)
    VALUES (${r.id}, ${r.userId}, ${r.username}, ${r.kind}, ${r.action}, ${r.params}, ${r.targetKind},
            ${r.targetId}, ${r.targetName}, ${r.state}, ${r.progress}, ${r.message}, ${r.error},
            ${r.createdAt}, ${r.startedAt}, ${r.finishedAt})`);
}

/** Writes the columns a task changes while it runs and when it ends. */
export function updateTaskRow(db: Db, r: TaskRow) {
  return db.$executeRaw(Prisma.sql`
    UPDATE Task SET targetId = ${r.targetId}, targetName = ${r.targetName}, state = ${r.state},
                    progress = ${r.progress}, message = ${r.message}, error = ${r.error},
                    finishedAt = ${r.finishedAt}
    WHERE id = ${r.id}`);
}
