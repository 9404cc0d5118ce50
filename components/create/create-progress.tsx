"use client";
// After submit: the create task's progress, live; on success, on to the new guest's page.
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { Task } from "@/server/contract";
import { getTask } from "../api/tasks";
import { guestHref } from "../guest/links";
import { useTask } from "../realtime/tasks-provider";
import { ProgressBar } from "../ui/progress-bar";

export function CreateProgress({
  taskId,
  guestId,
  name,
  onBack,
}: {
  taskId: string;
  guestId: string;
  name: string;
  onBack: () => void;
}) {
  const router = useRouter();
  const pushed = useTask(taskId);
  const [read, setRead] = useState<Task | null>(null);
  // A task can finish before its first push reaches this tab: read it once to be sure.
  useEffect(() => {
    const t = setTimeout(() => getTask(taskId).then(setRead, () => {}), 2000);
    return () => clearTimeout(t);
  }, [taskId]);
  const task = pushed ?? read;
  const state = task?.state ?? "queued";
  useEffect(() => {
    if (state === "succeeded") router.push(guestHref(guestId));
  }, [state, router, guestId]);
  return (
    <section className="card max-w-xl space-y-3 p-5" aria-live="polite">
      <h2 className="font-semibold">
        {state === "failed"
          ? `Could not create ${name}`
          : state === "succeeded"
            ? `${name} is ready`
            : `Creating ${name}…`}
      </h2>
      <ProgressBar
        value={state === "succeeded" ? 100 : (task?.progress ?? 2)}
        label={`Creating ${name}`}
        tone={state === "failed" ? "red" : state === "succeeded" ? "green" : "blue"}
      />
      <p className="muted text-sm">{task?.message || "Queued"}</p>
      {state === "failed" && (
        <>
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {task?.error}
          </p>
          <button type="button" className="btn" onClick={onBack}>
            Back to the form
          </button>
        </>
      )}
    </section>
  );
}
