// The activity log as seen over the API and pushed to browsers.
import { z } from "zod";

export const taskStates = ["queued", "running", "succeeded", "failed"] as const;
export const TaskState = z.enum(taskStates);

export const Task = z.object({
  id: z.string(),
  username: z.string(),
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
