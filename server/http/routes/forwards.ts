// Port forwards and per-guest firewall rules (services/port-forwards.ts): a guest's forwards
// (list, add, remove), each network's forwards, and a guest's inbound rules (read, replace).
// Writes need an operator, like every other change to a guest.
import {
  CreateForwardBody,
  FirewallBody,
  FirewallResponse,
  ForwardList,
  ForwardParams,
  ForwardResponse,
} from "../../contract/forwards";
import { GuestIdParam } from "../../contract/guest";
import { NetworkIdParam } from "../../contract/network";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

export function forwardRoutes(s: Pick<Services, "forwards">): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/forwards",
      access: "viewer",
      tag: "forwards",
      summary: "A guest's port forwards (host port → a NIC's address), both kinds",
      params: GuestIdParam,
      responses: { 200: { description: "forwards", schema: ForwardList } },
      handler: async (c, { params }) => c.json({ forwards: await s.forwards.list(params.id) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/forwards",
      access: "operator",
      tag: "forwards",
      summary:
        "Forward a host port (within TANDEM_PUBLISH_PORT_RANGE, free on the host) to a NIC of the guest on an isolated or NAT network",
      params: GuestIdParam,
      body: CreateForwardBody,
      responses: { 201: { description: "created", schema: ForwardResponse } },
      handler: async (c, { params, body }) => c.json({ forward: await s.forwards.create(params.id, body) }, 201),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/guests/:id/forwards/:forwardId",
      access: "operator",
      tag: "forwards",
      summary: "Remove a port forward; its host port is released",
      params: ForwardParams,
      responses: { 204: { description: "removed" } },
      handler: async (c, { params }) => {
        await s.forwards.remove(params.id, params.forwardId);
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/networks/:id/forwards",
      access: "viewer",
      tag: "forwards",
      summary: "The port forwards to guests on a network",
      params: NetworkIdParam,
      responses: { 200: { description: "forwards", schema: ForwardList } },
      handler: async (c, { params }) => c.json({ forwards: await s.forwards.listForNetwork(params.id) }),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/firewall",
      access: "viewer",
      tag: "forwards",
      summary: "A guest's inbound firewall rules (first match wins; default: nothing in but forwards and replies)",
      params: GuestIdParam,
      responses: { 200: { description: "rules", schema: FirewallResponse } },
      handler: async (c, { params }) => c.json({ rules: await s.forwards.getFirewall(params.id) }),
    }),
    defineRoute({
      method: "put",
      path: "/api/v1/guests/:id/firewall",
      access: "operator",
      tag: "forwards",
      summary: "Replace a guest's inbound firewall rules",
      params: GuestIdParam,
      body: FirewallBody,
      responses: { 200: { description: "rules", schema: FirewallResponse } },
      handler: async (c, { params, body }) => c.json({ rules: await s.forwards.putFirewall(params.id, body) }),
    }),
  ];
}
