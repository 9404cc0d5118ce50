"use client";
// While a guest is being built: the create task's progress, live.
import { useMemo } from "react";
import type { Guest } from "@/server/contract";
import { useTasks } from "../realtime/tasks-provider";
import { ProgressBar } from "../ui/progress-bar";

export function CreatingNotice({ guest }: { guest: Guest }) {
  const { tasks } = useTasks();
  const task = useMemo(
    () => [...tasks.values()].find((t) => t.targetId === guest.id && t.kind === "create"),
    [tasks, guest.id],
  );
  return (
    <div className="card space-y-2 p-3 text-sm" role="status">
      <p>
        Creating {guest.name}… {task?.message}
      </p>
      <ProgressBar value={task?.progress ?? 5} label={`Creating ${guest.name}`} />
    </div>
  );
}
