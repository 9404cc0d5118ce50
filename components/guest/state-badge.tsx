// A guest's state as a coloured dot and word (colour is never the only signal).
import type { GuestState } from "@/server/contract";

const tone: Record<GuestState, string> = {
  running: "bg-emerald-500",
  paused: "bg-amber-500",
  stopped: "bg-zinc-400",
  creating: "bg-blue-500 animate-pulse",
  "shutting-down": "bg-amber-500 animate-pulse",
  crashed: "bg-red-500",
  unknown: "bg-zinc-300",
};

export function StateBadge({ state }: { state: GuestState }) {
  return (
    <span className="inline-flex items-center gap-1.5 text-xs font-medium whitespace-nowrap text-zinc-700 dark:text-zinc-300">
      <span aria-hidden className={`h-2 w-2 rounded-full ${tone[state]}`} />
      {state}
    </span>
  );
}
