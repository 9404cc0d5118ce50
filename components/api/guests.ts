// Guest calls: one guest, create, clone, actions, metadata, delete and metric history.
import { z } from "zod";
import {
  Guest,
  MetricPoint,
  type CloneGuestBody,
  type CreateGuestBody,
  type GuestAction,
  type MetricRange,
} from "@/server/contract";
import { apiParsed, apiPath, withQuery } from "./client";

const GuestResponse = z.object({ guest: Guest });
const CreatedResponse = z.object({ guest: Guest, taskId: z.string() });
const TaskRef = z.object({ taskId: z.string() });
const History = z.object({ resolution: z.number(), points: z.array(MetricPoint) });

export const getGuest = async (id: string) =>
  (await apiParsed(GuestResponse, "GET", apiPath`/api/v1/guests/${id}`)).guest;

export const createGuest = (body: CreateGuestBody) => apiParsed(CreatedResponse, "POST", "/api/v1/guests", body);

export const guestAction = (id: string, action: GuestAction) =>
  apiParsed(TaskRef, "POST", apiPath`/api/v1/guests/${id}/actions`, { action });

export const updateGuest = async (
  id: string,
  patch: { tags?: string[]; notes?: string; name?: string; vcpus?: number; memoryMiB?: number },
) => (await apiParsed(GuestResponse, "PATCH", apiPath`/api/v1/guests/${id}`, patch)).guest;

export const deleteGuest = (id: string, purge: boolean) =>
  apiParsed(TaskRef, "DELETE", withQuery(apiPath`/api/v1/guests/${id}`, { purge }));

export const guestMetrics = (id: string, range: MetricRange) =>
  apiParsed(History, "GET", withQuery(apiPath`/api/v1/guests/${id}/metrics`, { range }));

export const hostMetrics = (range: MetricRange) =>
  apiParsed(History, "GET", withQuery("/api/v1/host/metrics", { range }));

export const cloneGuest = (id: string, body: z.input<typeof CloneGuestBody>) =>
  apiParsed(CreatedResponse, "POST", apiPath`/api/v1/guests/${id}/clone`, body);
