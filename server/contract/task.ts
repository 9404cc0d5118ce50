// The activity log as seen over the API and pushed to browsers. A task's `kind` is what code
// branches on (the UI, recovery after a restart); its `action` is the human-readable line shown.
import { z } from "zod";
import { guestActions } from "./guest";

export const taskStates = ["queued", "running", "succeeded", "failed"] as const;
export const TaskState = z.enum(taskStates);

/**
 * Every kind of task Tandem runs. Lifecycle actions keep their own names; `recover` is the work
 * a new process does to finish or roll back a task the previous one left unfinished.
 */
export const taskKinds = [
  "create",
  "clone",
  "delete",
  ...guestActions,
  "snapshot-create",
  "snapshot-revert",
  "snapshot-delete",
  "disk-add",
  "disk-detach",
  "disk-resize",
  "disk-move",
  "recover",
] as const;
export const TaskKind = z.enum(taskKinds);
export type TaskKind = z.infer<typeof TaskKind>;

export const Task = z.object({
  id: z.string(),
  username: z.string(),
  kind: TaskKind,
  action: z.string(),
  targetKind: z.string(),
  targetId: z.string().nullable(),
  targetName: z.string().nullable(),
  state: TaskState,
  progress: z.number().int().min(0).max(100),
  message: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export type Task = z.infer<typeof Task>;

export const TaskListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  targetId: z.string().max(200).optional(),
});
