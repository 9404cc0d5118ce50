// API tokens (shown once, stored hashed) and user management (admin only).
import { z } from "zod";
import {
  ChangePasswordBody,
  CreateTokenBody,
  CreateTokenResponse,
  CreateUserBody,
  UpdateUserBody,
} from "../../contract/auth";
import { TokenList, UserList, UserResponse } from "../../contract/responses";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

const IdParam = z.object({ id: z.string().min(1).max(100) });

export function tokenAndUserRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/tokens",
      access: "viewer",
      tag: "auth",
      summary: "Create an API token for yourself; the secret is shown only in this response",
      body: CreateTokenBody,
      responses: { 201: { description: "created", schema: CreateTokenResponse } },
      handler: async (c, { body, principal }) =>
        c.json(await s.auth.createToken(principal.userId, body.name, body.expiresInDays), 201),
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/tokens",
      access: "viewer",
      tag: "auth",
      summary: "Your API tokens (never their secrets)",
      responses: { 200: { description: "tokens", schema: TokenList } },
      handler: async (c, { principal }) => c.json({ tokens: await s.auth.listTokens(principal.userId) }),
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/tokens/:id",
      access: "viewer",
      tag: "auth",
      summary: "Revoke a token (your own; admins any)",
      params: IdParam,
      responses: { 204: { description: "revoked" } },
      handler: async (c, { params, principal }) => {
        await s.auth.revokeToken(principal.userId, params.id, principal.role === "admin");
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/users",
      access: "admin",
      tag: "users",
      summary: "List users",
      responses: { 200: { description: "users", schema: UserList } },
      handler: async (c) => c.json({ users: await s.auth.listUsers() }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/users",
      access: "admin",
      tag: "users",
      summary: "Create a user with a role",
      body: CreateUserBody,
      responses: { 201: { description: "created", schema: UserResponse } },
      handler: async (c, { body }) =>
        c.json({ user: await s.auth.createUser(body.username, body.password, body.role) }, 201),
    }),
    defineRoute({
      method: "patch",
      path: "/api/v1/users/:id",
      access: "admin",
      tag: "users",
      summary: "Change a user's role or set a new password (signs them out)",
      params: IdParam,
      body: UpdateUserBody,
      responses: { 200: { description: "updated", schema: UserResponse } },
      handler: async (c, { params, body }) => c.json({ user: await s.auth.updateUser(params.id, body) }),
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/session/password",
      access: "viewer",
      tag: "auth",
      summary: "Change your own password; your other sessions are signed out",
      body: ChangePasswordBody,
      responses: { 204: { description: "changed" } },
      handler: async (c, { body, principal }) => {
        await s.auth.changePassword(principal.userId, body.current, body.next, principal.sessionId);
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/users/:id",
      access: "admin",
      tag: "users",
      summary: "Delete a user (not yourself)",
      params: IdParam,
      responses: { 204: { description: "deleted" } },
      handler: async (c, { params, principal }) => {
        await s.auth.deleteUser(params.id, principal.userId);
        return c.body(null, 204);
      },
    }),
  ];
}
