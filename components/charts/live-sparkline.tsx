"use client";
// A one-minute sparkline drawn as one SVG path straight from the overview series: it redraws on
// each tick by itself (one attribute set), so the row around it never re-renders for metrics.
// SVG rather than canvas: every canvas is its own compositing layer, and a list of rows with two
// canvases each cost Chromium ~6 ms of main-thread time per scrolled frame (bench/ui.bench.ts).
import { useEffect, useRef } from "react";
import { useOverviewSeries } from "../realtime/overview-provider";
import { sparkPath } from "./spark-path";

type Props = {
  id: string;
  field: "cpu" | "mem";
  /** Top of the scale; the line rescales when a value goes above it. */
  max: number;
  color: string;
  /** Formats the latest value for the text beside the line and for screen readers. */
  format: (latest: number) => string;
  label: string;
  width?: number;
  height?: number;
};

export function LiveSparkline({ id, field, max, color, format, label, width = 72, height = 22 }: Props) {
  const store = useOverviewSeries();
  const line = useRef<SVGPathElement>(null);
  const text = useRef<HTMLSpanElement>(null);
  const wrap = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    const values: number[] = [];
    const draw = () => {
      const s = store.get(id);
      const latest = s?.latest ? (field === "cpu" ? s.latest.cpuPct : pctOf(s.latest.memUsed, s.latest.memLimit)) : NaN;
      const str = Number.isFinite(latest) ? format(latest) : "—";
      // Only what changed is written: an unchanged attribute still costs a style pass.
      if (text.current && text.current.textContent !== str) text.current.textContent = str;
      const aria = `${label} ${str}`;
      if (wrap.current && wrap.current.getAttribute("aria-label") !== aria)
        wrap.current.setAttribute("aria-label", aria);
      const d = s ? sparkPath(store.ordered(field === "cpu" ? s.cpu : s.mem, values), max, width, height) : "";
      if (line.current && line.current.getAttribute("d") !== d) line.current.setAttribute("d", d);
    };
    draw();
    return store.subscribe(draw);
  }, [store, id, field, max, format, label, width, height]);

  return (
    <span ref={wrap} role="img" aria-label={label} className="inline-flex items-center gap-2">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden className="shrink-0">
        <path ref={line} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />
      </svg>
      <span ref={text} aria-hidden className="w-12 text-right text-xs tabular-nums text-zinc-600 dark:text-zinc-400">
        —
      </span>
    </span>
  );
}

const pctOf = (used: number, limit: number) => (limit > 0 ? (used / limit) * 100 : NaN);
