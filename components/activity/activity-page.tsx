"use client";
// Every task — who, what, when, progress, result — updated live as tasks move.
import Link from "next/link";
import { useEffect, useMemo, useState } from "react";
import { taskStates, type Task } from "@/server/contract";
import { guestHref } from "../guest/links";
import { useGuests } from "../realtime/guests-provider";
import { useTasks } from "../realtime/tasks-provider";
import { formatAgo, formatDateTime } from "../ui/format";
import { ProgressBar } from "../ui/progress-bar";
import { TaskStateBadge } from "./task-state";

/** Re-renders every 15 s so "2 minutes ago" stays true. */
function useNow(ms = 15_000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function ActivityPage() {
  const { tasks, loaded, error } = useTasks();
  const { guests } = useGuests();
  const [state, setState] = useState<Task["state"] | "all">("all");
  const [q, setQ] = useState("");
  const now = useNow();
  const list = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return [...tasks.values()]
      .filter((t) => state === "all" || t.state === state)
      .filter(
        (t) =>
          !needle ||
          [t.action, t.username, t.targetName ?? "", t.message, t.error ?? ""].some((s) =>
            s.toLowerCase().includes(needle),
          ),
      )
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }, [tasks, state, q]);

  return (
    <div className="space-y-4">
      <h1 className="text-lg font-semibold">Activity</h1>
      <div className="flex flex-wrap gap-2">
        <input
          type="search"
          className="input max-w-xs"
          aria-label="Search activity"
          placeholder="Search user, action, guest…"
          value={q}
          onChange={(e) => setQ(e.target.value)}
        />
        <select
          className="input w-auto"
          aria-label="Task state"
          value={state}
          onChange={(e) => setState(e.target.value as Task["state"] | "all")}
        >
          <option value="all">All states</option>
          {taskStates.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      {!loaded && <p className="muted text-sm">Loading…</p>}
      {loaded && list.length === 0 && <p className="muted text-sm">No tasks yet.</p>}
      {list.length > 0 && (
        <div className="card overflow-x-auto">
          <table className="w-full text-sm" aria-label="Tasks">
            <thead className="muted bg-zinc-50 text-left text-xs dark:bg-zinc-900/60">
              <tr>
                <th className="px-3 py-2">When</th>
                <th className="px-3 py-2">Who</th>
                <th className="px-3 py-2">What</th>
                <th className="px-3 py-2">Target</th>
                <th className="px-3 py-2">State</th>
                <th className="hidden w-40 px-3 py-2 md:table-cell">Progress</th>
                <th className="px-3 py-2">Result</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id} className="border-t border-zinc-100 align-top dark:border-zinc-800">
                  <td className="px-3 py-2 whitespace-nowrap" title={formatDateTime(t.createdAt)}>
                    {formatAgo(t.createdAt, now)}
                  </td>
                  <td className="px-3 py-2">{t.username}</td>
                  <td className="px-3 py-2 font-medium">{t.action}</td>
                  <td className="px-3 py-2">
                    {t.targetId && guests.has(t.targetId) ? (
                      <Link href={guestHref(t.targetId)} className="text-blue-700 hover:underline dark:text-blue-300">
                        {t.targetName ?? t.targetId}
                      </Link>
                    ) : (
                      (t.targetName ?? "—")
                    )}
                    <span className="muted ml-1 text-xs">{t.targetKind}</span>
                  </td>
                  <td className="px-3 py-2">
                    <TaskStateBadge state={t.state} />
                  </td>
                  <td className="hidden px-3 py-2 md:table-cell">
                    <ProgressBar
                      value={t.state === "succeeded" ? 100 : t.progress}
                      label={`Progress of ${t.action} ${t.targetName ?? ""}`}
                      tone={t.state === "failed" ? "red" : t.state === "succeeded" ? "green" : "blue"}
                    />
                  </td>
                  <td className="max-w-md px-3 py-2 break-words">
                    {t.error ? <span className="text-red-600 dark:text-red-400">{t.error}</span> : t.message}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
