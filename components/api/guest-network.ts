// A guest's place on the networks: its NICs, the host ports forwarded to it and its inbound
// firewall rules.
import type { z } from "zod";
import {
  FirewallResponse,
  ForwardList,
  ForwardResponse,
  GuestNicList,
  GuestNicResponse,
  type AddNicBody,
  type CreateForwardBody,
  type FirewallRule,
  type GuestNicInfo,
} from "@/server/contract";
import { api, apiParsed, apiPath } from "./client";

/** One NIC as the guest page shows it. */
export type NicInfo = GuestNicInfo;

export const listNics = async (guestId: string) =>
  (await apiParsed(GuestNicList, "GET", apiPath`/api/v1/guests/${guestId}/nics`)).nics;
export const addNic = async (guestId: string, nic: AddNicBody) =>
  (await apiParsed(GuestNicResponse, "POST", apiPath`/api/v1/guests/${guestId}/nics`, nic)).nic;
export const removeNic = (guestId: string, nicId: string) =>
  api<unknown>("DELETE", apiPath`/api/v1/guests/${guestId}/nics/${nicId}`);

export const listForwards = async (guestId: string) =>
  (await apiParsed(ForwardList, "GET", apiPath`/api/v1/guests/${guestId}/forwards`)).forwards;
export const addForward = async (guestId: string, body: z.input<typeof CreateForwardBody>) =>
  (await apiParsed(ForwardResponse, "POST", apiPath`/api/v1/guests/${guestId}/forwards`, body)).forward;
export const removeForward = (guestId: string, forwardId: string) =>
  api<unknown>("DELETE", apiPath`/api/v1/guests/${guestId}/forwards/${forwardId}`);

export const getFirewall = async (guestId: string) =>
  (await apiParsed(FirewallResponse, "GET", apiPath`/api/v1/guests/${guestId}/firewall`)).rules;
export const putFirewall = async (guestId: string, rules: FirewallRule[]) =>
  (await apiParsed(FirewallResponse, "PUT", apiPath`/api/v1/guests/${guestId}/firewall`, { rules })).rules;
