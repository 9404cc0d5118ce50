// Sign in and out with a cookie session; whoami. Cookie names and attributes follow the
// client's transport (transport.ts): `__Host-` and Secure when the browser came over TLS.
import { deleteCookie, setCookie } from "hono/cookie";
import { LoginBody, LoginResponse } from "../../contract/auth";
import { SessionResponse } from "../../contract/responses";
import { SESSION_COOKIE } from "../../services/auth-service";
import { DEVICE_COOKIE, DEVICE_TTL_MS } from "../../services/device-trust";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";
import { cookieAttributes, cookieName, readCookie } from "../../transport-shared/connection";

export function sessionRoutes(s: Services): AnyRoute[] {
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/session",
      access: "public",
      tag: "auth",
      summary: "Sign in; sets an HttpOnly session cookie and returns the CSRF token",
      body: LoginBody,
      responses: {
        200: { description: "signed in", schema: LoginResponse },
        429: { description: "too many failed or concurrent sign-ins; Retry-After says when to try again" },
      },
      handler: async (c, { body }) => {
        const client = c.get("client");
        const device = readCookie(c.req.header("cookie"), DEVICE_COOKIE, client.secure);
        const r = await s.auth.login(body.username, body.password, { address: client.address, device });
        setCookie(
          c,
          cookieName(SESSION_COOKIE, client.secure),
          r.cookie,
          cookieAttributes(client.secure, Math.floor(s.config.sessionTtlMs / 1000)),
        );
        if (r.device) {
          // Only ever sent back to the sign-in call: Strict, so no other site's page triggers it.
          setCookie(c, cookieName(DEVICE_COOKIE, client.secure), r.device, {
            ...cookieAttributes(client.secure, Math.floor(DEVICE_TTL_MS / 1000)),
            sameSite: "Strict",
          });
        }
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
        await s.auth.logout(principal);
        const secure = c.get("client").secure;
        deleteCookie(c, cookieName(SESSION_COOKIE, secure), { path: "/", secure });
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
        200: { description: "the signed-in user", schema: SessionResponse },
      },
      handler: async (c, { principal }) =>
        c.json({
          user: { id: principal.userId, username: principal.username, role: principal.role },
          csrfToken: principal.csrfToken ?? null,
        }),
    }),
  ];
}
