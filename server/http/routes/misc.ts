// Images, tasks, host, health and the OpenAPI document.
import { z } from "zod";
import { UploadImageQuery } from "../../contract/image";
import { MetricsQuery } from "../../contract/metrics";
import {
  Healthz,
  HostMetricHistory,
  HostResponse,
  ImageList,
  ImageResponse,
  TaskList,
  TaskResponse,
} from "../../contract/responses";
import { TaskListQuery } from "../../contract/task";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

const IdParam = z.object({ id: z.string().min(1).max(200) });

export function miscRoutes(s: Services, openapi: () => object): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/healthz",
      access: "public",
      tag: "host",
      summary: "Liveness: the process answers and its database is reachable",
      responses: { 200: { description: "ok", schema: Healthz } },
      handler: async (c) => c.json({ ok: true }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/openapi.json",
      access: "public",
      tag: "meta",
      summary: "This document",
      responses: { 200: { description: "OpenAPI 3.1" } },
      handler: async (c) => c.json(openapi()),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/host",
      access: "viewer",
      tag: "host",
      summary: "Host capacity, usage, guest counts, acceleration and backend health",
      responses: { 200: { description: "host", schema: HostResponse } },
      handler: async (c) => c.json({ host: await s.host.info() }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/host/metrics",
      access: "viewer",
      tag: "metrics",
      summary: "The host's metric history",
      query: MetricsQuery,
      responses: { 200: { description: "points", schema: HostMetricHistory } },
      handler: async (c, { query }) =>
        c.json({ range: query.range, ...(await s.metrics.history(s.metrics.hostSubject, query.range)) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/images",
      access: "viewer",
      tag: "images",
      summary: "The image library",
      responses: { 200: { description: "images", schema: ImageList } },
      handler: async (c) => c.json({ images: await s.images.list() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/images",
      access: "operator",
      tag: "images",
      summary: "Upload an image: the file is the body; name, kind and format are query parameters",
      query: UploadImageQuery,
      rawBody: { contentType: "application/octet-stream" },
      responses: { 201: { description: "stored", schema: ImageResponse } },
      handler: async (c, { query }) => {
        const len = c.req.header("content-length");
        const image = await s.images.upload(c.req.raw.body, { ...query, declaredBytes: len ? Number(len) : undefined });
        return c.json({ image }, 201);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/images/:id",
      access: "operator",
      tag: "images",
      summary: "Delete an uploaded image",
      params: IdParam,
      responses: { 204: { description: "deleted" } },
      handler: async (c, { params }) => {
        await s.images.remove(params.id);
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/tasks",
      access: "viewer",
      tag: "tasks",
      summary: "The activity log, newest first",
      query: TaskListQuery,
      responses: { 200: { description: "tasks", schema: TaskList } },
      handler: async (c, { query }) => c.json({ tasks: await s.tasks.list(query) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/tasks/:id",
      access: "viewer",
      tag: "tasks",
      summary: "One task",
      params: IdParam,
      responses: { 200: { description: "task", schema: TaskResponse } },
      handler: async (c, { params }) => c.json({ task: await s.tasks.get(params.id) }),
    }),
  ];
}
