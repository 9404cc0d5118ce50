"use client";
// A container's log: the last lines, then new ones as they come while "Follow" is on.
import { useEffect, useRef, useState } from "react";
import type { Guest } from "@/server/contract";
import { errorMessage, isNotFound } from "../api/client";
import { streamLogs } from "../api/consoles";
import { useKeyedState } from "../ui/use-keyed-state";

const MAX_CHARS = 2_000_000;

type LogView = { text: string; status: "loading" | "live" | "ended" | "unsupported" | "error"; error: string | null };
const EMPTY: LogView = { text: "", status: "loading", error: null };

export function LogsTab({ guest }: { guest: Guest }) {
  const [follow, setFollow] = useState(true);
  const [attempt, setAttempt] = useState(0);
  const key = `${guest.id}|${follow}|${attempt}`;
  const [view, setFor] = useKeyedState<LogView>(key, EMPTY);
  const { text, status, error } = view;
  const pre = useRef<HTMLPreElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const ac = new AbortController();
    streamLogs(
      guest.id,
      { follow, tail: 1000 },
      (chunk) =>
        setFor(key, (v) => {
          const t = v.text + chunk;
          return { ...v, status: "live", text: t.length > MAX_CHARS ? t.slice(-MAX_CHARS) : t };
        }),
      ac.signal,
    )
      .then(() => !ac.signal.aborted && setFor(key, (v) => ({ ...v, status: "ended" })))
      .catch((e) => {
        if (ac.signal.aborted) return;
        if (isNotFound(e)) setFor(key, (v) => ({ ...v, status: "unsupported" }));
        else setFor(key, (v) => ({ ...v, status: "error", error: errorMessage(e) }));
      });
    return () => ac.abort();
  }, [guest.id, follow, key, setFor]);

  useEffect(() => {
    const el = pre.current;
    if (el && follow && stick.current) el.scrollTop = el.scrollHeight;
  }, [text, follow]);

  if (status === "unsupported")
    return (
      <p className="card muted p-4 text-sm" role="status">
        Container logs are not available on this server yet.
      </p>
    );
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-3 text-sm">
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} />
          Follow
        </label>
        <button type="button" className="btn" onClick={() => setAttempt((a) => a + 1)}>
          Reload
        </button>
        <button type="button" className="btn" onClick={() => setFor(key, (v) => ({ ...v, text: "" }))}>
          Clear view
        </button>
        <span className="muted" role="status">
          {status === "loading"
            ? "Loading…"
            : status === "live"
              ? follow
                ? "Following"
                : ""
              : status === "ended"
                ? "End of log"
                : ""}
        </span>
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      <pre
        ref={pre}
        tabIndex={0}
        aria-label={`Log of ${guest.name}`}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="h-[60vh] overflow-auto rounded-lg bg-zinc-950 p-3 font-mono text-xs whitespace-pre-wrap text-zinc-100"
      >
        {text || (status === "ended" ? "(empty)" : "")}
      </pre>
    </div>
  );
}
