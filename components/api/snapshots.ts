// VM snapshots: list, and take, revert or delete (each a task on the guest).
import { SnapshotList, TaskRef } from "@/server/contract";
import { apiParsed, apiPath } from "./client";

export const listSnapshots = async (id: string) =>
  (await apiParsed(SnapshotList, "GET", apiPath`/api/v1/guests/${id}/snapshots`)).snapshots;
export const createSnapshot = (id: string, name: string, description: string) =>
  apiParsed(TaskRef, "POST", apiPath`/api/v1/guests/${id}/snapshots`, { name, description });
export const revertSnapshot = (id: string, name: string) =>
  apiParsed(TaskRef, "POST", apiPath`/api/v1/guests/${id}/snapshots/${name}/revert`, {});
export const deleteSnapshot = (id: string, name: string) =>
  apiParsed(TaskRef, "DELETE", apiPath`/api/v1/guests/${id}/snapshots/${name}`);
