// A task's state as a small badge.
import type { Task } from "@/server/contract";

const tone: Record<Task["state"], string> = {
  queued: "bg-zinc-200 text-zinc-800 dark:bg-zinc-800 dark:text-zinc-200",
  running: "bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-200",
  succeeded: "bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200",
  failed: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
};

export function TaskStateBadge({ state }: { state: Task["state"] }) {
  return <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${tone[state]}`}>{state}</span>;
}
