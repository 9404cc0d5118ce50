// The REST application: request ids and logs, authentication, CSRF, role checks, validation,
// and the route table. Mounted under the one Node server next to Next and socket.io.
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { Logger } from "pino";
import { hasRole } from "../contract/auth";
import { AppError } from "../domain/errors";
import type { IncomingMessage } from "node:http";
import type { AuthService, Principal } from "../services/auth-service";
import { SESSION_COOKIE } from "../services/auth-service";
import { errorResponse, handleError } from "./errors";
import { API_SECURITY_HEADERS } from "./security-headers";
import { HSTS_HEADER, readCookie, type ClientInfo } from "../transport-shared/connection";
import { isWellFormedDeep } from "../transport-shared/unicode";
import type { AnyRoute, AppEnv } from "./route";
import { parseOrThrow } from "./route";

const JSON_LIMIT = 1024 * 1024;

/**
 * A body that may still be arriving when the answer goes out: chunked, or larger than what comes
 * with the request head. (A small body is already in and is discarded at once.)
 */
function hasPendingBody(h: Headers): boolean {
  const len = h.get("content-length");
  return h.has("transfer-encoding") || (len !== null && Number(len) > 16 * 1024);
}

function sameSecret(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export function createApiApp(deps: {
  auth: AuthService;
  log: Logger;
  routes: AnyRoute[];
  clientOf: (req: IncomingMessage) => ClientInfo;
}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    const log = deps.log.child({ reqId: c.get("requestId") });
    c.set("log", log);
    for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) c.header(name, value);
    c.header("Cache-Control", "no-store");
    await next();
    // A body left unread (refused early, or sent to a route that takes none): say the connection
    // closes, so the client never reuses a socket that may be dropped while it is discarded.
    if (hasPendingBody(c.req.raw.headers) && !(c.get("bodyRead") && c.res.status < 400)) {
      c.res.headers.set("Connection", "close");
    }
    log.info(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) },
      "request",
    );
  });
  app.use(async (c, next) => {
    const client = deps.clientOf(c.env.incoming);
    c.set("client", client);
    // Over TLS (direct or via a trusted proxy) browsers must keep using TLS for a year.
    if (client.secure) c.header("Strict-Transport-Security", HSTS_HEADER);
    const cookie = readCookie(c.req.header("cookie"), SESSION_COOKIE, client.secure);
    c.set("principal", await deps.auth.resolve(c.req.header("authorization"), cookie));
    await next();
  });
  app.onError(handleError);
  app.notFound((c) => errorResponse(c, "NOT_FOUND", `no route for ${c.req.method} ${c.req.path}`, 404));

  for (const r of deps.routes) {
    const limit = r.rawBody
      ? []
      : [
          bodyLimit({
            maxSize: JSON_LIMIT,
            onError: (c) =>
              errorResponse(c, "PAYLOAD_TOO_LARGE", `request bodies are limited to ${JSON_LIMIT} bytes`, 413),
          }),
        ];
    app.on([r.method.toUpperCase()], [r.path], ...limit, async (c) => {
      const principal = c.get("principal");
      if (r.access !== "public") {
        if (!principal) throw new AppError("UNAUTHENTICATED", "sign in or send a bearer token");
        if (!hasRole(principal.role, r.access)) {
          throw new AppError("FORBIDDEN", `this needs the ${r.access} role; you are ${principal.role}`);
        }
      }
      // Cookie-authenticated writes must echo the session's CSRF token (bearer calls need none).
      if (principal?.via === "session" && r.method !== "get") {
        const sent = c.req.header("x-csrf-token");
        if (!sent || !principal.csrfToken || !sameSecret(sent, principal.csrfToken)) {
          throw new AppError("CSRF", "missing or wrong x-csrf-token header");
        }
      }
      const params = r.params ? parseOrThrow(r.params, c.req.param(), "path") : {};
      const query = r.query ? parseOrThrow(r.query, c.req.query(), "query") : {};
      let body: unknown = undefined;
      if (r.body) {
        const type = c.req.header("content-type") ?? "";
        if (!/^application\/json\b/i.test(type)) {
          throw new AppError("UNSUPPORTED_MEDIA_TYPE", "send the body as application/json");
        }
        let raw: unknown;
        const text = await c.req.text();
        c.set("bodyRead", true);
        try {
          raw = JSON.parse(text);
        } catch {
          throw new AppError("BAD_REQUEST", "the body is not valid JSON");
        }
        if (!isWellFormedDeep(raw)) {
          throw new AppError("VALIDATION", "the body holds a string that is not valid Unicode (an unpaired surrogate)");
        }
        body = parseOrThrow(r.body, raw, "body");
      }
      // A streamed upload that succeeded has been read to its end.
      if (r.rawBody) c.set("bodyRead", true);
      return r.handler(c, { params, query, body, principal: principal as Principal });
    });
  }
  return app;
}
