"use client";
// Runs a lifecycle action through REST and tells the user how the task ended.
import { useCallback } from "react";
import type { Guest, GuestAction } from "@/server/contract";
import { guestAction } from "../api/guests";
import { errorMessage } from "../api/client";
import { useTasks } from "../realtime/tasks-provider";
import { useNotify } from "../ui/toaster";
import { actionLabels } from "./actions";

export function useGuestAction() {
  const { watch } = useTasks();
  const notify = useNotify();
  return useCallback(
    async (guest: Pick<Guest, "id" | "name">, action: GuestAction): Promise<boolean> => {
      try {
        const { taskId } = await guestAction(guest.id, action);
        watch(taskId, `${actionLabels[action]} ${guest.name}`);
        return true;
      } catch (e) {
        notify(`${actionLabels[action]} ${guest.name}: ${errorMessage(e)}`, "error");
        return false;
      }
    },
    [watch, notify],
  );
}
