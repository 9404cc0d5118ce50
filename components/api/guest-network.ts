// A guest's place on the networks: its NICs, the host ports forwarded to it and its inbound
// firewall rules.
import { z } from "zod";
import {
  FirewallResponse,
  ForwardList,
  type CreateForwardBody,
  type FirewallRule,
  type GuestNic,
} from "@/server/contract";
import { api, apiParsed, apiPath } from "./client";

/**
 * One NIC as GET /guests/{id}/nics lists it: the fields of the contract's GuestNicInfo the page
 * shows (read loosely here until that shape is committed with its routes).
 */
export const NicInfo = z.looseObject({
  id: z.string(),
  index: z.number().int(),
  network: z.object({ id: z.string(), name: z.string() }),
  mac: z.string(),
  address: z.string().nullable(),
  addressFixed: z.boolean(),
  iface: z.string().nullable().optional(),
});
export type NicInfo = z.infer<typeof NicInfo>;
const NicList = z.object({ nics: z.array(NicInfo) });

export const listNics = async (guestId: string) =>
  (await apiParsed(NicList, "GET", apiPath`/api/v1/guests/${guestId}/nics`)).nics;
export const addNic = (guestId: string, nic: GuestNic) =>
  api<unknown>("POST", apiPath`/api/v1/guests/${guestId}/nics`, nic);
export const removeNic = (guestId: string, nicId: string) =>
  api<unknown>("DELETE", apiPath`/api/v1/guests/${guestId}/nics/${nicId}`);

export const listForwards = async (guestId: string) =>
  (await apiParsed(ForwardList, "GET", apiPath`/api/v1/guests/${guestId}/forwards`)).forwards;
export const addForward = (guestId: string, body: z.input<typeof CreateForwardBody>) =>
  api<unknown>("POST", apiPath`/api/v1/guests/${guestId}/forwards`, body);
export const removeForward = (guestId: string, forwardId: string) =>
  api<unknown>("DELETE", apiPath`/api/v1/guests/${guestId}/forwards/${forwardId}`);

export const getFirewall = async (guestId: string) =>
  (await apiParsed(FirewallResponse, "GET", apiPath`/api/v1/guests/${guestId}/firewall`)).rules;
export const putFirewall = async (guestId: string, rules: FirewallRule[]) =>
  (await apiParsed(FirewallResponse, "PUT", apiPath`/api/v1/guests/${guestId}/firewall`, { rules })).rules;
