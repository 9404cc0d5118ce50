// Sign in and out with a cookie session; whoami.
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { LoginBody, LoginResponse, Me } from "../../contract/auth";
import { SESSION_COOKIE } from "../../services/auth-service";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

export function sessionRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/session",
      access: "public",
      tag: "auth",
      summary: "Sign in; sets an HttpOnly session cookie and returns the CSRF token",
      body: LoginBody,
      responses: { 200: { description: "signed in", schema: LoginResponse } },
      handler: async (c, { body }) => {
        const address = c.env?.incoming?.socket?.remoteAddress ?? "unknown";
        const r = await s.auth.login(body.username, body.password, address);
        setCookie(c, SESSION_COOKIE, r.cookie, {
          httpOnly: true,
          sameSite: "Lax",
          path: "/",
          secure: s.config.secureCookies,
          maxAge: Math.floor(s.config.sessionTtlMs / 1000),
        });
        return c.json({ user: r.user, csrfToken: r.csrfToken });
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/session",
      access: "viewer",
      tag: "auth",
      summary: "Sign out",
      responses: { 204: { description: "signed out" } },
      handler: async (c, { principal }) => {
        if (principal.sessionId) await s.auth.logout(principal.sessionId);
        deleteCookie(c, SESSION_COOKIE, { path: "/" });
        return c.body(null, 204);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/session",
      access: "viewer",
      tag: "auth",
      summary: "Who am I; returns the CSRF token again for a page reload",
      responses: {
        200: { description: "the signed-in user", schema: z.object({ user: Me, csrfToken: z.string().nullable() }) },
      },
      handler: async (c, { principal }) =>
        c.json({
          user: { id: principal.userId, username: principal.username, role: principal.role },
          csrfToken: principal.csrfToken ?? null,
        }),
    }),
  ];
}
