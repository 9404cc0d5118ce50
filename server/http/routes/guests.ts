// Guests: the one list of VMs and containers, create, lifecycle actions, metadata, delete.
import { z } from "zod";
import { CloneGuestBody, CreateGuestBody, GuestActionBody, GuestIdParam, UpdateGuestBody } from "../../contract/guest";
import { MetricsQuery } from "../../contract/metrics";
import { GuestCreated, GuestList, GuestMetricHistory, GuestResponse, TaskRef } from "../../contract/responses";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

const actorOf = (p: { userId: string; username: string }) => ({ userId: p.userId, username: p.username });

export function guestRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/guests",
      access: "viewer",
      tag: "guests",
      summary: "All VMs and containers on the host, including ones Tandem did not create",
      responses: { 200: { description: "guests", schema: GuestList } },
      handler: async (c) => c.json({ guests: await s.guests.list() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests",
      access: "operator",
      tag: "guests",
      summary: "Create a VM or a container; returns at once with the task that builds it",
      body: CreateGuestBody,
      responses: { 202: { description: "creating", schema: GuestCreated } },
      handler: async (c, { body, principal }) => c.json(await s.guests.create(actorOf(principal), body), 202),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id",
      access: "viewer",
      tag: "guests",
      summary: "One guest",
      params: GuestIdParam,
      responses: { 200: { description: "the guest", schema: GuestResponse } },
      handler: async (c, { params }) => c.json({ guest: await s.guests.get(params.id) }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/guests/:id",
      access: "operator",
      tag: "guests",
      summary: "Change a guest's tags or notes, rename it, or resize it (where its backend allows)",
      params: GuestIdParam,
      body: UpdateGuestBody,
      responses: { 200: { description: "the guest", schema: GuestResponse } },
      handler: async (c, { params, body }) => c.json({ guest: await s.guests.update(params.id, body) }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/guests/:id",
      access: "operator",
      tag: "guests",
      summary: "Delete a guest (stopping it first); purge=true also removes its disks",
      params: GuestIdParam,
      query: z.object({
        purge: z
          .enum(["true", "false"])
          .default("false")
          .transform((v) => v === "true"),
      }),
      responses: { 202: { description: "deleting", schema: TaskRef } },
      handler: async (c, { params, query, principal }) =>
        c.json(await s.guests.remove(actorOf(principal), params.id, query.purge), 202),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/actions",
      access: "operator",
      tag: "guests",
      summary: "start, shutdown (ACPI), stop (force off), reboot, pause or resume",
      params: GuestIdParam,
      body: GuestActionBody,
      responses: { 202: { description: "accepted", schema: TaskRef } },
      handler: async (c, { params, body, principal }) =>
        c.json(await s.guests.act(actorOf(principal), params.id, body.action), 202),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/clone",
      access: "operator",
      tag: "guests",
      summary: "Clone a stopped VM: linked (copy-on-write on the source's disk) or full copy",
      params: GuestIdParam,
      body: CloneGuestBody,
      responses: { 202: { description: "cloning", schema: GuestCreated } },
      handler: async (c, { params, body, principal }) =>
        c.json(await s.guests.clone(actorOf(principal), params.id, body), 202),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/metrics",
      access: "viewer",
      tag: "metrics",
      summary: "A guest's metric history: 1 s points for 15m, 10 s for 1h/24h, 5 min for 7d",
      params: GuestIdParam,
      query: MetricsQuery,
      responses: { 200: { description: "points", schema: GuestMetricHistory } },
      handler: async (c, { params, query }) => {
        await s.guests.get(params.id); // 404 for unknown guests
        const h = await s.metrics.history(params.id, query.range);
        return c.json({ id: params.id, range: query.range, ...h });
      },
    }),
  ];
}
