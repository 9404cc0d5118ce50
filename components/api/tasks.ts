// The activity log.
import { z } from "zod";
import { Task } from "@/server/contract";
import { apiParsed, apiPath, withQuery } from "./client";

const TaskList = z.object({ tasks: z.array(Task) });
const OneTask = z.object({ task: Task });

export const listTasks = async (opts: { limit?: number; targetId?: string } = {}) =>
  (await apiParsed(TaskList, "GET", withQuery("/api/v1/tasks", opts))).tasks;

export const getTask = async (id: string) => (await apiParsed(OneTask, "GET", apiPath`/api/v1/tasks/${id}`)).task;
