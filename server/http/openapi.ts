// The OpenAPI 3.1 document, made from the same route table and zod schemas that validate.
import { z } from "zod";
import { ApiErrorBody } from "../contract/result";
import type { AnyRoute } from "./route";

const toSchema = (s: z.ZodType, io: "input" | "output") => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
};

function parameters(r: AnyRoute) {
  const out: object[] = [];
  for (const [where, schema] of [
    ["path", r.params],
    ["query", r.query],
  ] as const) {
    if (!schema) continue;
    const js = toSchema(schema, "input") as { properties?: Record<string, object>; required?: string[] };
    for (const [name, prop] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === "path" || (js.required ?? []).includes(name), schema: prop });
    }
  }
  return out;
}

export function buildOpenApi(routes: AnyRoute[]) {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    const p = r.path.replace(/:(\w+)/g, "{$1}");
    const responses: Record<string, object> = {};
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = res.schema
        ? { description: res.description, content: { "application/json": { schema: toSchema(res.schema, "output") } } }
        : { description: res.description };
    }
    responses.default = {
      description: "error",
      content: { "application/json": { schema: toSchema(ApiErrorBody, "output") } },
    };
    (paths[p] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      security: r.access === "public" ? [] : [{ bearer: [] }, { cookie: [] }],
      "x-required-role": r.access,
      parameters: parameters(r),
      ...(r.body
        ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(r.body, "input") } } } }
        : r.rawBody
          ? {
              requestBody: {
                required: true,
                content: { [r.rawBody.contentType]: { schema: { type: "string", format: "binary" } } },
              },
            }
          : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Tandem API", version: "1" },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        cookie: {
          type: "apiKey",
          in: "cookie",
          name: "tandem_session",
          description: "Over TLS (or behind a trusted proxy saying https) the name is __Host-tandem_session.",
        },
      },
    },
    paths,
  };
}
