// A REST route declared once: method, path, role, zod schemas and handler. The same table
// registers the Hono handlers (with validation) and produces the OpenAPI document.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Role } from "../contract/auth";
import type { Principal } from "../services/auth-service";
import type { ClientInfo } from "../transport-shared/connection";
import { AppError } from "../domain/errors";
import { describeIssues } from "../transport-shared/zod-issues";

export type Access = "public" | Role;

export interface AppEnv {
  Bindings: { incoming: IncomingMessage; outgoing: ServerResponse };
  Variables: {
    principal: Principal | null;
    /** The client's real address and whether it came over TLS (see transport.ts). */
    client: ClientInfo;
    requestId: string;
    log: Logger;
    /** Set once a route has read (or streamed) the request body to its end. */
    bodyRead?: boolean;
  };
}

export interface RouteDef<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** Hono path syntax: /api/v1/guests/:id */
  path: string;
  access: Access;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Raw bodies (uploads) are streamed by the handler, not parsed. */
  rawBody?: { contentType: string };
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler: (
    c: Context<AppEnv>,
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; principal: Principal },
  ) => Promise<Response>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous route table
export type AnyRoute = RouteDef<any, any, any>;

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  r: RouteDef<P, Q, B>,
): RouteDef<P, Q, B> {
  return r;
}

export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError("VALIDATION", `invalid ${where}: ${describeIssues(r.error)}`);
  return r.data;
}
