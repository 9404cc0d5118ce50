"use client";
// Every task this tab can see: the latest page from REST on each (re)connect, then pushed
// updates. Tasks started from this tab can be watched: their end becomes a notice.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Task } from "@/server/contract";
import { listTasks } from "../api/tasks";
import { useNotify } from "../ui/toaster";
import { useSocket } from "./socket-provider";

type TasksState = {
  tasks: Map<string, Task>;
  loaded: boolean;
  error: string | null;
  /** Say how the task ended, in a notice labelled `label` ("Start web-1"). */
  watch: (taskId: string, label: string) => void;
};

const TasksContext = createContext<TasksState>({
  tasks: new Map(),
  loaded: false,
  error: null,
  watch: () => {},
});

const MAX_TASKS = 1000;
const done = (t: Task) => t.state === "succeeded" || t.state === "failed";

export function TasksProvider({ children }: { children: ReactNode }) {
  const { socket, connected } = useSocket();
  const notify = useNotify();
  const [tasks, setTasks] = useState<Map<string, Task>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const watched = useRef(new Map<string, string>());

  const report = useCallback(
    (t: Task) => {
      const label = watched.current.get(t.id);
      if (!label || !done(t)) return;
      watched.current.delete(t.id);
      if (t.state === "failed") notify(`${label} failed: ${t.error ?? t.message}`, "error");
      else notify(`${label}: done`, "success");
    },
    [notify],
  );

  useEffect(() => {
    if (!socket || !connected) return;
    let live = true;
    const onTask = (t: Task) => {
      setTasks((m) => {
        const n = new Map(m).set(t.id, t);
        // A tab left open for days keeps the newest tasks only; the Activity page reads the rest.
        if (n.size > MAX_TASKS) for (const id of [...n.keys()].slice(0, n.size - MAX_TASKS)) n.delete(id);
        return n;
      });
      report(t);
    };
    socket.on("task:update", onTask);
    listTasks({ limit: 200 })
      .then((list) => {
        if (!live) return;
        setTasks((m) => {
          const n = new Map(list.map((t) => [t.id, t]));
          for (const [id, t] of m) if (!n.has(id)) n.set(id, t);
          return n;
        });
        list.forEach(report);
        setError(null);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
      socket.off("task:update", onTask);
    };
  }, [socket, connected, report]);

  const watch = useCallback(
    (taskId: string, label: string) => {
      watched.current.set(taskId, label);
      const known = tasks.get(taskId);
      if (known) report(known);
    },
    [tasks, report],
  );
  const value = useMemo(() => ({ tasks, loaded, error, watch }), [tasks, loaded, error, watch]);
  return <TasksContext.Provider value={value}>{children}</TasksContext.Provider>;
}

export const useTasks = () => useContext(TasksContext);
export const useTask = (id: string | null) => {
  const { tasks } = useContext(TasksContext);
  return id ? tasks.get(id) : undefined;
};
