"use client";
// A one-minute sparkline drawn on a canvas straight from the overview series: it redraws on
// each tick by itself, so the row around it never re-renders for metrics.
import { useEffect, useRef } from "react";
import { useOverviewSeries } from "../realtime/overview-provider";
import { SERIES_POINTS } from "../realtime/overview-series";

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
  const canvas = useRef<HTMLCanvasElement>(null);
  const text = useRef<HTMLSpanElement>(null);
  const wrap = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext("2d");
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const values: number[] = [];
    const draw = () => {
      const s = store.get(id);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const latest = s?.latest ? (field === "cpu" ? s.latest.cpuPct : pctOf(s.latest.memUsed, s.latest.memLimit)) : NaN;
      const str = Number.isFinite(latest) ? format(latest) : "—";
      if (text.current && text.current.textContent !== str) text.current.textContent = str;
      wrap.current?.setAttribute("aria-label", `${label} ${str}`);
      if (!s) return;
      store.ordered(field === "cpu" ? s.cpu : s.mem, values);
      let top = max;
      for (const v of values) if (v > top) top = v;
      const step = width / (SERIES_POINTS - 1);
      ctx.beginPath();
      let run = 0;
      const dots: [number, number][] = [];
      values.forEach((v, i) => {
        if (!Number.isFinite(v)) {
          run = 0;
          return;
        }
        const x = i * step;
        const y = height - 1 - (Math.min(v, top) / top) * (height - 2);
        if (run) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        run++;
        // A point with no neighbour yet (the first second after opening) shows as a short dash.
        const next = values[i + 1];
        if (run === 1 && (next === undefined || !Number.isFinite(next))) dots.push([x, y]);
      });
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.lineJoin = "round";
      ctx.stroke();
      ctx.fillStyle = color;
      for (const [x, y] of dots) ctx.fillRect(x - 3, y - 0.75, 3, 1.5);
    };
    draw();
    return store.subscribe(draw);
  }, [store, id, field, max, color, format, label, width, height]);

  return (
    <span ref={wrap} role="img" aria-label={label} className="inline-flex items-center gap-2">
      <canvas ref={canvas} style={{ width, height }} aria-hidden className="shrink-0" />
      <span ref={text} aria-hidden className="w-12 text-right text-xs tabular-nums text-zinc-600 dark:text-zinc-400">
        —
      </span>
    </span>
  );
}

const pctOf = (used: number, limit: number) => (limit > 0 ? (used / limit) * 100 : NaN);
