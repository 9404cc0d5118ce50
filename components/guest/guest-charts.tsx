"use client";
// CPU, memory, disk and network of one guest at 1 s, with a range picker reading history.
import { useMemo } from "react";
import type uPlot from "uplot";
import { metricRanges, type MetricPoint, type MetricRange } from "@/server/contract";
import { UplotChart, type ChartSeries } from "../charts/uplot-chart";
import { formatBytes, formatRate } from "../ui/format";
import { useSessionState } from "../ui/use-session-state";
import { rangeSeconds, useGuestMetrics } from "./use-guest-metrics";

const cpuSeries: ChartSeries[] = [{ label: "CPU", color: "#3b82f6", fill: true }];
const memSeries: ChartSeries[] = [
  { label: "Used", color: "#8b5cf6", fill: true },
  { label: "Limit", color: "#a1a1aa" },
];
const diskSeries: ChartSeries[] = [
  { label: "Read", color: "#10b981" },
  { label: "Write", color: "#f59e0b" },
];
const netSeries: ChartSeries[] = [
  { label: "Receive", color: "#06b6d4" },
  { label: "Transmit", color: "#ec4899" },
];
const fmtPct = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)}%`;
const fmtBytes = (v: number) => formatBytes(v, 0);
const fmtRate = (v: number) => formatRate(v);

function columns(points: MetricPoint[], pick: ((p: MetricPoint) => number)[]): uPlot.AlignedData {
  const t = points.map((p) => p.t / 1000);
  return [t, ...pick.map((f) => points.map(f))];
}

export function GuestCharts({ id }: { id: string }) {
  const [{ range }, setRange] = useSessionState<{ range: MetricRange }>("tandem-range", { range: "15m" });
  const { points, loading, error } = useGuestMetrics(id, range);
  const w = rangeSeconds[range];
  const data = useMemo(
    () => ({
      cpu: columns(points, [(p) => p.cpuPct]),
      mem: columns(points, [(p) => p.memUsed, (p) => p.memLimit]),
      disk: columns(points, [(p) => p.diskRead, (p) => p.diskWrite]),
      net: columns(points, [(p) => p.netRx, (p) => p.netTx]),
    }),
    [points],
  );
  return (
    <section aria-labelledby="charts-heading" className="space-y-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="charts-heading" className="text-base font-semibold">
          Live metrics
        </h2>
        <fieldset className="flex rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
          <legend className="sr-only">Time range</legend>
          {metricRanges.map((r) => (
            <label
              key={r}
              className={`cursor-pointer rounded px-2.5 py-1 text-xs font-medium has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-blue-500 ${
                r === range ? "bg-blue-600 text-white" : "hover:bg-zinc-100 dark:hover:bg-zinc-800"
              }`}
            >
              <input
                type="radio"
                name="range"
                value={r}
                checked={r === range}
                onChange={() => setRange({ range: r })}
                className="sr-only"
              />
              {r}
            </label>
          ))}
        </fieldset>
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          Could not read the history: {error}
        </p>
      )}
      {!loading && points.length === 0 && (
        <p className="muted text-sm">No points yet: metrics are recorded while the guest runs.</p>
      )}
      <div className="grid gap-3 lg:grid-cols-2">
        <UplotChart
          title="CPU"
          series={cpuSeries}
          data={data.cpu}
          formatValue={fmtPct}
          minMax={100}
          windowSeconds={w}
        />
        <UplotChart title="Memory" series={memSeries} data={data.mem} formatValue={fmtBytes} windowSeconds={w} />
        <UplotChart
          title="Disk I/O"
          series={diskSeries}
          data={data.disk}
          formatValue={fmtRate}
          minMax={1024}
          windowSeconds={w}
        />
        <UplotChart
          title="Network"
          series={netSeries}
          data={data.net}
          formatValue={fmtRate}
          minMax={1024}
          windowSeconds={w}
        />
      </div>
    </section>
  );
}
