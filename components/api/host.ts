// The host summary.
import { HostResponse } from "@/server/contract";
import { apiParsed } from "./client";

export const getHost = async () => (await apiParsed(HostResponse, "GET", "/api/v1/host")).host;
