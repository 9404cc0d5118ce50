// Session, API tokens and users.
import { z } from "zod";
import { ApiTokenInfo, CreateTokenResponse, Me, UserInfo, type Role } from "@/server/contract";
import { api, apiParsed, apiPath } from "./client";

const SessionResponse = z.object({ user: Me, csrfToken: z.string().nullable() });

export const getSession = () => apiParsed(SessionResponse, "GET", "/api/v1/session");
export const signOut = () => api<void>("DELETE", "/api/v1/session");

export const listTokens = async () =>
  (await apiParsed(z.object({ tokens: z.array(ApiTokenInfo) }), "GET", "/api/v1/tokens")).tokens;
export const createToken = (name: string, expiresInDays?: number) =>
  apiParsed(CreateTokenResponse, "POST", "/api/v1/tokens", { name, expiresInDays });
export const revokeToken = (id: string) => api<void>("DELETE", apiPath`/api/v1/tokens/${id}`);

export const listUsers = async () =>
  (await apiParsed(z.object({ users: z.array(UserInfo) }), "GET", "/api/v1/users")).users;
export const createUser = async (username: string, password: string, role: Role) =>
  (await apiParsed(z.object({ user: UserInfo }), "POST", "/api/v1/users", { username, password, role })).user;
export const deleteUser = (id: string) => api<void>("DELETE", apiPath`/api/v1/users/${id}`);
export const changePassword = (current: string, next: string) =>
  api<void>("POST", "/api/v1/session/password", { current, next });
export const updateUser = async (id: string, patch: { role?: Role; password?: string }) =>
  (await apiParsed(z.object({ user: UserInfo }), "PATCH", apiPath`/api/v1/users/${id}`, patch)).user;
