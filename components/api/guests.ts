// Guest calls: one guest, create, clone, actions, metadata, delete and metric history.
import type { z } from "zod";
import {
  GuestCreated,
  GuestMetricHistory,
  GuestResponse,
  HostMetricHistory,
  TaskRef,
  type CloneGuestBody,
  type CreateGuestBody,
  type GuestAction,
  type MetricRange,
  type UpdateGuestBody,
} from "@/server/contract";
import { apiParsed, apiPath, withQuery } from "./client";

export const getGuest = async (id: string) =>
  (await apiParsed(GuestResponse, "GET", apiPath`/api/v1/guests/${id}`)).guest;

export const createGuest = (body: CreateGuestBody) => apiParsed(GuestCreated, "POST", "/api/v1/guests", body);

export const guestAction = (id: string, action: GuestAction) =>
  apiParsed(TaskRef, "POST", apiPath`/api/v1/guests/${id}/actions`, { action });

export const updateGuest = async (id: string, patch: z.input<typeof UpdateGuestBody>) =>
  (await apiParsed(GuestResponse, "PATCH", apiPath`/api/v1/guests/${id}`, patch)).guest;

export const deleteGuest = (id: string, purge: boolean) =>
  apiParsed(TaskRef, "DELETE", withQuery(apiPath`/api/v1/guests/${id}`, { purge }));

export const guestMetrics = (id: string, range: MetricRange) =>
  apiParsed(GuestMetricHistory, "GET", withQuery(apiPath`/api/v1/guests/${id}/metrics`, { range }));

export const hostMetrics = (range: MetricRange) =>
  apiParsed(HostMetricHistory, "GET", withQuery("/api/v1/host/metrics", { range }));

export const cloneGuest = (id: string, body: z.input<typeof CloneGuestBody>) =>
  apiParsed(GuestCreated, "POST", apiPath`/api/v1/guests/${id}/clone`, body);
