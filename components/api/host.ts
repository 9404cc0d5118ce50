// The host summary.
import { z } from "zod";
import { HostInfo } from "@/server/contract";
import { apiParsed } from "./client";

const HostResponse = z.object({ host: HostInfo });

export const getHost = async () => (await apiParsed(HostResponse, "GET", "/api/v1/host")).host;
