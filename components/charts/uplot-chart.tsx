"use client";
// A uPlot time-series chart that fits its container, follows the theme, and takes new data
// without being rebuilt (setData), so a 1 s update costs one redraw.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useTheme } from "../theme/theme";

export type ChartSeries = { label: string; color: string; fill?: boolean };

type Props = {
  title: string;
  series: ChartSeries[];
  /** [unix seconds[], ...one array per series] */
  data: uPlot.AlignedData;
  formatValue: (v: number) => string;
  /** Lower bound of the y range's top, e.g. 100 for percentages. */
  minMax?: number;
  /** The x axis never spans more than this many seconds (the selected range). */
  windowSeconds: number;
  height?: number;
};

export function UplotChart({ title, series, data, formatValue, windowSeconds, minMax = 0, height = 160 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latestData = useRef(data);
  const { dark } = useTheme();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axisStroke = dark ? "#a1a1aa" : "#52525b";
    const grid = dark ? "#27272a" : "#e4e4e7";
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        // At least a minute wide, at most the range: a new guest's first points grow from the right.
        x: {
          time: true,
          range: (_u, min, max) => [Math.max(max - windowSeconds, Math.min(min, max - 60)), max],
        },
        y: { range: (_u, _min, max) => [0, Math.max(minMax, max * 1.1 || 1)] },
      },
      axes: [
        { stroke: axisStroke, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        {
          stroke: axisStroke,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 84,
          values: (_u, vals) => vals.map((v) => formatValue(v)),
        },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 1.5,
          fill: s.fill ? s.color + "22" : undefined,
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : formatValue(v)),
          spanGaps: false,
        })),
      ],
    };
    const u = new uPlot(opts, latestData.current, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its shape or the theme changes; data flows through setData.
  }, [dark, height, minMax, series, formatValue, windowSeconds]);

  useEffect(() => {
    latestData.current = data;
    plot.current?.setData(data);
  }, [data]);

  const ys = data[1];
  const last = ys && ys.length ? ys[ys.length - 1] : null;
  return (
    <figure className="card min-w-0 p-3">
      <figcaption className="mb-1 flex items-baseline justify-between text-sm font-semibold">
        <span>{title}</span>
        <span className="muted text-xs font-normal tabular-nums">
          {typeof last === "number" ? `now ${formatValue(last)}` : ""}
        </span>
      </figcaption>
      <div
        ref={box}
        role="img"
        aria-label={`${title} chart`}
        data-chart={title}
        data-points={data[0].length}
        className="w-full"
      />
    </figure>
  );
}
