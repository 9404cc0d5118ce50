// Networks: the one list VMs and containers plug into, create, edit and delete. The routes ask
// for an operator; the service also asks for an admin for bridged and vlan networks, which touch
// host interfaces (contract/network.ts networkRole, docs/authorization.md).
import {
  CreateNetworkBody,
  NetworkIdParam,
  NetworkList,
  NetworkResponse,
  UpdateNetworkBody,
} from "../../contract/network";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

export function networkRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/api/v1/networks",
      access: "viewer",
      tag: "networks",
      summary: "All networks, each with the guests that have a NIC on it",
      responses: { 200: { description: "networks", schema: NetworkList } },
      handler: async (c) => c.json({ networks: await s.networks.list() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/networks",
      access: "operator",
      tag: "networks",
      summary: "Create an isolated, NAT, bridged or VLAN network (bridged and VLAN need an admin)",
      body: CreateNetworkBody,
      responses: { 201: { description: "created", schema: NetworkResponse } },
      handler: async (c, { body, principal }) =>
        c.json({ network: await s.networks.create(principal.role, body) }, 201),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/networks/:id",
      access: "viewer",
      tag: "networks",
      summary: "One network",
      params: NetworkIdParam,
      responses: { 200: { description: "the network", schema: NetworkResponse } },
      handler: async (c, { params }) => c.json({ network: await s.networks.get(params.id) }),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/networks/:id",
      access: "operator",
      tag: "networks",
      summary: "Change a network's DHCP range, DNS forwarders or name resolution (its addressing only while unused)",
      params: NetworkIdParam,
      body: UpdateNetworkBody,
      responses: { 200: { description: "the network", schema: NetworkResponse } },
      handler: async (c, { params, body, principal }) =>
        c.json({ network: await s.networks.update(principal.role, params.id, body) }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/networks/:id",
      access: "operator",
      tag: "networks",
      summary: "Delete a network; refused while a guest has a NIC on it",
      params: NetworkIdParam,
      responses: { 204: { description: "deleted" } },
      handler: async (c, { params, principal }) => {
        await s.networks.remove(principal.role, params.id);
        return c.body(null, 204);
      },
    }),
  ];
}
