// VM snapshots. The server routes are being added; until then every call answers 404 and the
// tab says so. The shapes here are the ones asked for in the dashboard hand-off.
import { z } from "zod";
import { api, apiParsed, apiPath } from "./client";

export const Snapshot = z.object({
  name: z.string(),
  createdAt: z.string(),
  description: z.string().optional().default(""),
  /** The guest's state when the snapshot was taken (running = with memory). */
  state: z.string().optional(),
  current: z.boolean().optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const SnapshotName = z
  .string()
  .min(1, "name is required")
  .max(63, "at most 63 characters")
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "letters, digits, '-', '_' and '.', starting with a letter or digit");

const TaskMaybe = z.object({ taskId: z.string().optional() }).loose();

export const listSnapshots = async (id: string) =>
  (await apiParsed(z.object({ snapshots: z.array(Snapshot) }), "GET", apiPath`/api/v1/guests/${id}/snapshots`))
    .snapshots;
export const createSnapshot = (id: string, name: string, description: string) =>
  apiParsed(TaskMaybe, "POST", apiPath`/api/v1/guests/${id}/snapshots`, { name, description });
export const revertSnapshot = (id: string, name: string) =>
  apiParsed(TaskMaybe, "POST", apiPath`/api/v1/guests/${id}/snapshots/${name}/revert`, {});
export const deleteSnapshot = (id: string, name: string) =>
  api<unknown>("DELETE", apiPath`/api/v1/guests/${id}/snapshots/${name}`);
