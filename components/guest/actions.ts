// How each lifecycle action is named and shown; which actions a list/header offers.
import type { GuestAction } from "@/server/contract";

export const actionLabels: Record<GuestAction, string> = {
  start: "Start",
  shutdown: "Shut down",
  stop: "Stop",
  reboot: "Reboot",
  pause: "Pause",
  resume: "Resume",
};

export const actionHints: Record<GuestAction, string> = {
  start: "Boot the guest",
  shutdown: "Ask the guest to power off (ACPI / SIGTERM)",
  stop: "Force off at once, like pulling the plug",
  reboot: "Restart the guest",
  pause: "Freeze the guest in memory",
  resume: "Unfreeze a paused guest",
};

/** Verbs for the command palette ("start web-1", "reboot db"). */
export const actionVerbs: Record<string, GuestAction> = {
  start: "start",
  boot: "start",
  shutdown: "shutdown",
  "shut down": "shutdown",
  stop: "stop",
  kill: "stop",
  reboot: "reboot",
  restart: "reboot",
  pause: "pause",
  resume: "resume",
};
