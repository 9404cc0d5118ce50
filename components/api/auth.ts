// Session, API tokens and users.
import { CreateTokenResponse, SessionResponse, TokenList, UserList, UserResponse, type Role } from "@/server/contract";
import { api, apiParsed, apiPath } from "./client";

export const getSession = () => apiParsed(SessionResponse, "GET", "/api/v1/session");
export const signOut = () => api<void>("DELETE", "/api/v1/session");

export const listTokens = async () => (await apiParsed(TokenList, "GET", "/api/v1/tokens")).tokens;
export const createToken = (name: string, expiresInDays?: number) =>
  apiParsed(CreateTokenResponse, "POST", "/api/v1/tokens", { name, expiresInDays });
export const revokeToken = (id: string) => api<void>("DELETE", apiPath`/api/v1/tokens/${id}`);

export const listUsers = async () => (await apiParsed(UserList, "GET", "/api/v1/users")).users;
export const createUser = async (username: string, password: string, role: Role) =>
  (await apiParsed(UserResponse, "POST", "/api/v1/users", { username, password, role })).user;
export const deleteUser = (id: string) => api<void>("DELETE", apiPath`/api/v1/users/${id}`);
export const changePassword = (current: string, next: string) =>
  api<void>("POST", "/api/v1/session/password", { current, next });
export const updateUser = async (id: string, patch: { role?: Role; password?: string }) =>
  (await apiParsed(UserResponse, "PATCH", apiPath`/api/v1/users/${id}`, patch)).user;
