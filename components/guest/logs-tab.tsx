"use client";
// A container's output: the last lines, then new ones as they come while "Follow" is on.
import { useEffect, useRef, useState } from "react";
import type { Guest, LogLine } from "@/server/contract";
import { ApiError, errorMessage } from "../api/client";
import { streamLogs } from "../api/consoles";
import { useKeyedState } from "../ui/use-keyed-state";

const MAX_LINES = 5000;

type LogView = {
  lines: LogLine[];
  status: "loading" | "live" | "ended" | "unsupported" | "error";
  error: string | null;
};
const EMPTY: LogView = { lines: [], status: "loading", error: null };

/** 404 (no such route yet) and 400 (this backend has no logs) both mean "not here". */
const unsupported = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 400);

export function LogsTab({ guest }: { guest: Guest }) {
  const [follow, setFollow] = useState(true);
  const [timestamps, setTimestamps] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const key = `${guest.id}|${follow}|${attempt}`;
  const [view, setFor] = useKeyedState<LogView>(key, EMPTY);
  const pre = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const ac = new AbortController();
    streamLogs(
      guest.id,
      { follow, tail: 1000 },
      (lines) =>
        setFor(key, (v) => {
          const all = v.lines.concat(lines);
          return { ...v, status: "live", lines: all.length > MAX_LINES ? all.slice(-MAX_LINES) : all };
        }),
      ac.signal,
    )
      .then(() => !ac.signal.aborted && setFor(key, (v) => ({ ...v, status: "ended" })))
      .catch((e) => {
        if (ac.signal.aborted) return;
        setFor(key, (v) => ({ ...v, status: unsupported(e) ? "unsupported" : "error", error: errorMessage(e) }));
      });
    return () => ac.abort();
  }, [guest.id, follow, key, setFor]);

  useEffect(() => {
    const el = pre.current;
    if (el && follow && stick.current) el.scrollTop = el.scrollHeight;
  }, [view.lines, follow]);

  if (view.status === "unsupported")
    return (
      <p className="card muted p-4 text-sm" role="status">
        Logs are not available for this guest: {view.error}
      </p>
    );
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow
        </label>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={timestamps} onChange={(e) => setTimestamps(e.target.checked)} />
          Timestamps
        </label>
        <button type="button" className="btn" onClick={() => setAttempt((a) => a + 1)}>
          Reload
        </button>
        <span className="muted" role="status">
          {view.status === "loading"
            ? "Loading…"
            : view.status === "live" && follow
              ? "Following"
              : view.status === "ended"
                ? "End of log"
                : ""}
        </span>
      </div>
      {view.status === "error" && (
        <p role="alert" className="text-sm text-red-600">
          {view.error}
        </p>
      )}
      <div
        ref={pre}
        tabIndex={0}
        role="log"
        aria-label={`Log of ${guest.name}`}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="h-[60vh] overflow-auto rounded-lg bg-zinc-950 p-3 font-mono text-xs whitespace-pre-wrap text-zinc-100"
      >
        {view.lines.map((l, i) => (
          <div key={i} className={l.stream === "stderr" ? "text-amber-300" : undefined}>
            {timestamps && <span className="mr-2 text-zinc-500">{l.time}</span>}
            {l.text}
          </div>
        ))}
        {view.lines.length === 0 && view.status === "ended" && <span className="text-zinc-500">(no output yet)</span>}
      </div>
    </div>
  );
}
