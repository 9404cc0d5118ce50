// A guest's NICs on Tandem networks: list them, add one (hotplug on a running guest, else kept
// for its next start) and remove one. Adding and removing hold the guest's lock and answer when
// the NIC is in or out (guest-nic-service.ts).
import { GuestIdParam } from "../../contract/guest";
import { AddNicBody, GuestNicList, GuestNicParams, GuestNicResponse } from "../../contract/guest-nics";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

export function guestNicRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/nics",
      access: "viewer",
      tag: "guests",
      summary: "A guest's NICs on Tandem networks: network, MAC, address and host interface",
      params: GuestIdParam,
      responses: { 200: { description: "the NICs", schema: GuestNicList } },
      handler: async (c, { params }) => c.json({ nics: await s.nics.list(params.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/nics",
      access: "operator",
      tag: "guests",
      summary: "Add a NIC on a Tandem network (live on a running guest), with a fixed address or Tandem's choice",
      params: GuestIdParam,
      body: AddNicBody,
      responses: { 201: { description: "the NIC", schema: GuestNicResponse } },
      handler: async (c, { params, body }) => c.json({ nic: await s.nics.add(params.id, body) }, 201),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/guests/:id/nics/:nicId",
      access: "operator",
      tag: "guests",
      summary: "Remove a NIC (unplugged live from a running guest); its address is freed",
      params: GuestNicParams,
      responses: { 204: { description: "removed" } },
      handler: async (c, { params }) => {
        await s.nics.remove(params.id, params.nicId);
        return c.body(null, 204);
      },
    }),
  ];
}
