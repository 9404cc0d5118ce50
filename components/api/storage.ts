// Storage calls: pools, volumes, a VM's disks and a container's volume mounts. Writes that the
// server may answer with a task or with the changed object are not parsed: callers re-read.
import type { z } from "zod";
import {
  GuestDiskList,
  GuestVolumeResponse,
  PoolList,
  VolumeList,
  VolumeResponse,
  type CreateVolumeBody,
  type NewDisk,
  type VolumeMount,
} from "@/server/contract";
import { api, apiParsed, apiPath, withQuery } from "./client";

export const listPools = async () => (await apiParsed(PoolList, "GET", "/api/v1/pools")).pools;
export const listVolumes = async () => (await apiParsed(VolumeList, "GET", "/api/v1/volumes")).volumes;

export const createVolume = async (body: z.input<typeof CreateVolumeBody>) =>
  (await apiParsed(VolumeResponse, "POST", "/api/v1/volumes", body)).volume;

export const deleteVolume = (id: string) => api<void>("DELETE", apiPath`/api/v1/volumes/${id}`);

export const listDisks = async (guestId: string) =>
  (await apiParsed(GuestDiskList, "GET", apiPath`/api/v1/guests/${guestId}/disks`)).disks;

export const addDisk = (guestId: string, disk: NewDisk) =>
  api<unknown>("POST", apiPath`/api/v1/guests/${guestId}/disks`, disk);

export const detachDisk = (guestId: string, volumeId: string, purge: boolean) =>
  api<unknown>(
    "DELETE",
    withQuery(apiPath`/api/v1/guests/${guestId}/disks/${volumeId}`, { purge: purge || undefined }),
  );

export const resizeDisk = (guestId: string, volumeId: string, sizeGiB: number) =>
  api<unknown>("POST", apiPath`/api/v1/guests/${guestId}/disks/${volumeId}/resize`, { sizeGiB });

export const moveDisk = (guestId: string, volumeId: string, pool: string) =>
  api<unknown>("POST", apiPath`/api/v1/guests/${guestId}/disks/${volumeId}/move`, { pool });

/** A mount change answers with the volume and `message`: when it applies (a container's next start). */
export const mountVolume = (guestId: string, mount: VolumeMount) =>
  apiParsed(GuestVolumeResponse, "POST", apiPath`/api/v1/guests/${guestId}/volumes`, mount);

export const unmountVolume = (guestId: string, volumeId: string) =>
  apiParsed(GuestVolumeResponse, "DELETE", apiPath`/api/v1/guests/${guestId}/volumes/${volumeId}`);

/** The task a disk change started, when the server runs it as one (disk-add, disk-resize, …). */
export const taskIdOf = (answer: unknown): string | null =>
  typeof answer === "object" && answer !== null && typeof (answer as { taskId?: unknown }).taskId === "string"
    ? (answer as { taskId: string }).taskId
    : null;
