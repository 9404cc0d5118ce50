// GET /metrics for Prometheus, behind the same auth as the API (send a bearer token).
import type { Registry } from "prom-client";
import { defineRoute, type AnyRoute } from "../route";

export function prometheusRoutes(registry: Registry): AnyRoute[] {
  return [
    defineRoute({
      method: "get",
      path: "/metrics",
      access: "viewer",
      tag: "metrics",
      summary: "Prometheus text exposition of every guest, the host and Tandem itself",
      responses: { 200: { description: "text/plain; version=0.0.4" } },
      handler: async (c) => {
        c.header("Content-Type", registry.contentType);
        return c.body(await registry.metrics());
      },
    }),
  ];
}
