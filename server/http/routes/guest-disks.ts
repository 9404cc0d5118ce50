// A VM's disks: the list (root disk included) for viewers; add, detach, grow and move for
// operators, each answered 202 with the task that does it under the guest's lock.
import { z } from "zod";
import { GuestIdParam } from "../../contract/guest";
import { TaskRef } from "../../contract/responses";
import { GuestDiskList, GuestVolumeParams, MoveDiskBody, NewDisk, ResizeDiskBody } from "../../contract/storage";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

const actorOf = (p: { userId: string; username: string }) => ({ userId: p.userId, username: p.username });

export function guestDiskRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/disks",
      access: "viewer",
      tag: "storage",
      summary: "A VM's disks: its own (volumeId null) and the volumes attached to it, with their sizes",
      params: GuestIdParam,
      responses: { 200: { description: "disks", schema: GuestDiskList } },
      handler: async (c, { params }) => c.json({ disks: await s.disks.list(params.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/disks",
      access: "operator",
      tag: "storage",
      summary:
        "Add a disk to a VM: a new volume {sizeGiB, pool?} or an unattached one {volume}; hotplugged when it runs",
      params: GuestIdParam,
      body: NewDisk,
      responses: { 202: { description: "adding", schema: TaskRef } },
      handler: async (c, { params, body, principal }) =>
        c.json(await s.disks.add(actorOf(principal), params.id, body), 202),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/guests/:id/disks/:volumeId",
      access: "operator",
      tag: "storage",
      summary: "Detach a disk from a VM (live when it runs); purge=true also deletes its volume",
      params: GuestVolumeParams,
      query: z.object({
        purge: z
          .enum(["true", "false"])
          .default("false")
          .transform((v) => v === "true"),
      }),
      responses: { 202: { description: "detaching", schema: TaskRef } },
      handler: async (c, { params, query, principal }) =>
        c.json(await s.disks.detach(actorOf(principal), params.id, params.volumeId, query.purge), 202),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/disks/:volumeId/resize",
      access: "operator",
      tag: "storage",
      summary: "Grow a VM's disk (under the running guest, or its volume while stopped); never shrinks",
      params: GuestVolumeParams,
      body: ResizeDiskBody,
      responses: { 202: { description: "growing", schema: TaskRef } },
      handler: async (c, { params, body, principal }) =>
        c.json(await s.disks.resize(actorOf(principal), params.id, params.volumeId, body.sizeGiB), 202),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/disks/:volumeId/move",
      access: "operator",
      tag: "storage",
      summary: "Move a stopped VM's disk to another storage pool (copy, switch, delete the original)",
      params: GuestVolumeParams,
      body: MoveDiskBody,
      responses: { 202: { description: "moving", schema: TaskRef } },
      handler: async (c, { params, body, principal }) =>
        c.json(await s.disks.move(actorOf(principal), params.id, params.volumeId, body.pool), 202),
    }),
  ];
}
