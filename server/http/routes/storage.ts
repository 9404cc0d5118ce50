// Storage: the pools (Tandem's default and every pool the host has), the volumes Tandem made in
// them, and a container's volumes (attached or detached for its next start). Reads are a
// viewer's; making, deleting, attaching and detaching an operator's (docs/authorization.md).
import { GuestIdParam } from "../../contract/guest";
import {
  CreateVolumeBody,
  GuestVolumeParams,
  GuestVolumeResponse,
  PoolList,
  VolumeIdParam,
  VolumeList,
  VolumeMount,
  VolumeResponse,
} from "../../contract/storage";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

export function storageRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/pools",
      access: "viewer",
      tag: "storage",
      summary: "Storage pools with capacity, allocation, available bytes and their volume counts",
      responses: { 200: { description: "pools", schema: PoolList } },
      handler: async (c) => c.json({ pools: await s.storage.listPools() }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/volumes",
      access: "viewer",
      tag: "storage",
      summary: "Volumes Tandem keeps (container volumes and VM disks), with the guests using each",
      responses: { 200: { description: "volumes", schema: VolumeList } },
      handler: async (c) => c.json({ volumes: await s.storage.listVolumes() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/volumes",
      access: "operator",
      tag: "storage",
      summary: "Create a volume in a pool (the default one unless named); refused when the pool cannot hold it",
      body: CreateVolumeBody,
      responses: { 201: { description: "created", schema: VolumeResponse } },
      handler: async (c, { body }) => c.json({ volume: await s.storage.create(body) }, 201),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/volumes/:id",
      access: "viewer",
      tag: "storage",
      summary: "One volume (by id or name)",
      params: VolumeIdParam,
      responses: { 200: { description: "the volume", schema: VolumeResponse } },
      handler: async (c, { params }) => c.json({ volume: await s.storage.get(params.id) }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/volumes/:id",
      access: "operator",
      tag: "storage",
      summary: "Delete a volume and its data; refused while a guest has it attached",
      params: VolumeIdParam,
      responses: { 204: { description: "deleted" } },
      handler: async (c, { params }) => {
        await s.storage.remove(params.id);
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/volumes",
      access: "operator",
      tag: "storage",
      summary: "Attach a volume to a container at a path (mounted at its next start)",
      params: GuestIdParam,
      body: VolumeMount,
      responses: { 200: { description: "attached", schema: GuestVolumeResponse } },
      handler: async (c, { params, body }) => c.json(await s.guestVolumes.attach(params.id, body)),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/guests/:id/volumes/:volumeId",
      access: "operator",
      tag: "storage",
      summary: "Detach a volume from a container (unmounted at its next start; the volume is kept)",
      params: GuestVolumeParams,
      responses: { 200: { description: "detached", schema: GuestVolumeResponse } },
      handler: async (c, { params }) => c.json(await s.guestVolumes.detach(params.id, params.volumeId)),
    }),
  ];
}
