// Metric points as pushed live and served as history.
import { z } from "zod";

export const MetricPoint = z.object({
  /** unix ms */
  t: z.number(),
  cpuPct: z.number(),
  memUsed: z.number(),
  memLimit: z.number(),
  diskRead: z.number(),
  diskWrite: z.number(),
  netRx: z.number(),
  netTx: z.number(),
});
export type MetricPoint = z.infer<typeof MetricPoint>;

export const metricRanges = ["15m", "1h", "24h", "7d"] as const;
export const MetricsQuery = z.object({ range: z.enum(metricRanges).default("15m") });
export type MetricRange = (typeof metricRanges)[number];
