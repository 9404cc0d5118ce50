// Network calls: the one list of Tandem networks, create, edit, delete, and the forwards through one.
import {
  ForwardList,
  NetworkList,
  NetworkResponse,
  type CreateNetworkBody,
  type UpdateNetworkBody,
} from "@/server/contract";
import { api, apiParsed, apiPath } from "./client";

export const listNetworks = async () => (await apiParsed(NetworkList, "GET", "/api/v1/networks")).networks;

export const createNetwork = async (body: CreateNetworkBody) =>
  (await apiParsed(NetworkResponse, "POST", "/api/v1/networks", body)).network;

export const updateNetwork = async (id: string, body: UpdateNetworkBody) =>
  (await apiParsed(NetworkResponse, "PATCH", apiPath`/api/v1/networks/${id}`, body)).network;

export const deleteNetwork = (id: string) => api<void>("DELETE", apiPath`/api/v1/networks/${id}`);

/** The host ports forwarded to guests through this network. */
export const listNetworkForwards = async (id: string) =>
  (await apiParsed(ForwardList, "GET", apiPath`/api/v1/networks/${id}/forwards`)).forwards;
