"use client";
// A guest's name, kind, state and lifecycle buttons, each enabled by the shared predicates.
import { useState } from "react";
import { availableActions, canAct, guestActions, type Guest, type GuestAction } from "@/server/contract";
import { useHasRole } from "../session-provider";
import { KindIcon, PauseIcon, PlayIcon, PowerIcon, RebootIcon, StopIcon } from "../ui/icons";
import { actionHints, actionLabels } from "./actions";
import { CloneDialog } from "./clone-dialog";
import { StateBadge } from "./state-badge";
import { useGuestAction } from "./use-guest-action";

const icons: Record<GuestAction, React.ReactNode> = {
  start: <PlayIcon />,
  shutdown: <PowerIcon />,
  stop: <StopIcon />,
  reboot: <RebootIcon />,
  pause: <PauseIcon />,
  resume: <PlayIcon />,
};

export function GuestHeader({ guest }: { guest: Guest }) {
  const act = useGuestAction();
  const canOperate = useHasRole("operator");
  const [cloning, setCloning] = useState(false);
  // Offer pause or resume, never both; the rest always show, disabled when not allowed.
  const shown = guestActions.filter((a) =>
    a === "resume" ? guest.state === "paused" : a === "pause" ? guest.state !== "paused" : true,
  );
  return (
    <header className="flex flex-wrap items-center gap-x-4 gap-y-2">
      <div className="flex min-w-0 items-center gap-2">
        <KindIcon kind={guest.kind} width={22} height={22} className="shrink-0 text-zinc-500" />
        <h1 className="truncate text-xl font-semibold">{guest.name}</h1>
        <StateBadge state={guest.state} />
      </div>
      {guest.ipAddresses.length > 0 && <span className="muted text-sm">{guest.ipAddresses.join(", ")}</span>}
      <div role="toolbar" aria-label="Guest actions" className="ml-auto flex flex-wrap gap-1.5">
        {shown.map((a) => (
          <button
            key={a}
            type="button"
            className="btn"
            title={actionHints[a]}
            disabled={!canOperate || !canAct(guest.state, a)}
            onClick={() => void act(guest, a)}
          >
            {icons[a]}
            {actionLabels[a]}
          </button>
        ))}
        {guest.capabilities.clone && canOperate && (
          <button
            type="button"
            className="btn"
            disabled={guest.state !== "stopped"}
            title={guest.state === "stopped" ? "Make copies of this VM" : "Stop the VM to clone it"}
            onClick={() => setCloning(true)}
          >
            Clone…
          </button>
        )}
      </div>
      {cloning && <CloneDialog guest={guest} open={cloning} onClose={() => setCloning(false)} />}
      <p className="sr-only" aria-live="polite">
        {guest.name} is {guest.state}; available: {availableActions(guest.state).join(", ") || "none"}
      </p>
    </header>
  );
}
