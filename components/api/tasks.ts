// The activity log.
import { TaskList, TaskResponse } from "@/server/contract";
import { apiParsed, apiPath, withQuery } from "./client";

export const listTasks = async (opts: { limit?: number; targetId?: string } = {}) =>
  (await apiParsed(TaskList, "GET", withQuery("/api/v1/tasks", opts))).tasks;

export const getTask = async (id: string) => (await apiParsed(TaskResponse, "GET", apiPath`/api/v1/tasks/${id}`)).task;
