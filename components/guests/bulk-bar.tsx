"use client";
// Actions on the selected guests: start, shut down, stop, delete — each applied to the
// guests whose state allows it, delete behind one confirmation.
import { useState } from "react";
import { canAct, canDelete, type Guest, type GuestAction } from "@/server/contract";
import { ApiError } from "../api/client";
import { deleteGuest } from "../api/guests";
import { ackOf } from "../realtime/ack";
import { useSocket } from "../realtime/socket-provider";
import { actionLabels } from "../guest/actions";
import { ConfirmDialog } from "../ui/dialog";
import { PlayIcon, PowerIcon, StopIcon, TrashIcon } from "../ui/icons";
import { useNotify } from "../ui/toaster";
import { runBulk } from "./bulk";

const bulkActions: { action: GuestAction; icon: React.ReactNode }[] = [
  { action: "start", icon: <PlayIcon /> },
  { action: "shutdown", icon: <PowerIcon /> },
  { action: "stop", icon: <StopIcon /> },
];

export function BulkBar({ selected, onClear }: { selected: Guest[]; onClear: () => void }) {
  const notify = useNotify();
  const { socket } = useSocket();
  const [confirm, setConfirm] = useState(false);
  const [purge, setPurge] = useState(false);
  const [busy, setBusy] = useState(false);
  const deletable = selected.filter((g) => canDelete(g.state));

  async function act(action: GuestAction) {
    const targets = selected.filter((g) => canAct(g.state, action));
    setBusy(true);
    // Over the one socket: a burst of actions needs no HTTP connections at all.
    const r = await runBulk(targets, (g) =>
      ackOf<{ taskId: string }>((ack) => {
        if (!socket) throw new Error("not connected");
        socket.emit("guest:action", { id: g.id, action }, ack);
      }),
    );
    setBusy(false);
    report(`${actionLabels[action]}`, r);
  }
  async function remove() {
    setBusy(true);
    // A reused keep-alive connection can drop a request before the server sees it: retry once.
    const r = await runBulk(deletable, (g) =>
      deleteGuest(g.id, purge).catch((e: unknown) => {
        if (e instanceof ApiError && e.code === "NETWORK") return deleteGuest(g.id, purge);
        throw e;
      }),
    );
    setBusy(false);
    setConfirm(false);
    report("Delete", r);
    onClear();
  }
  function report(what: string, r: Awaited<ReturnType<typeof runBulk<Guest>>>) {
    if (r.failed.length)
      notify(
        `${what}: ${r.ok} accepted, ${r.failed.length} failed (${r.failed[0]!.item.name}: ${r.failed[0]!.error})`,
        "error",
      );
    else notify(`${what}: ${r.ok} guest${r.ok === 1 ? "" : "s"} accepted`, "success");
  }

  return (
    <div
      role="toolbar"
      aria-label="Bulk actions"
      className="flex flex-wrap items-center gap-2 rounded-lg border border-blue-200 bg-blue-50 px-3 py-2 text-sm dark:border-blue-900 dark:bg-blue-950/40"
    >
      <strong>{selected.length} selected</strong>
      {bulkActions.map(({ action, icon }) => {
        const n = selected.filter((g) => canAct(g.state, action)).length;
        return (
          <button key={action} type="button" className="btn" disabled={busy || n === 0} onClick={() => act(action)}>
            {icon}
            {actionLabels[action]} ({n})
          </button>
        );
      })}
      <button type="button" className="btn" disabled={busy || deletable.length === 0} onClick={() => setConfirm(true)}>
        <TrashIcon />
        Delete ({deletable.length})
      </button>
      <button type="button" className="btn ml-auto" onClick={onClear}>
        Clear selection
      </button>
      <ConfirmDialog
        open={confirm}
        title={`Delete ${deletable.length} guest${deletable.length === 1 ? "" : "s"}?`}
        confirmLabel={`Delete ${deletable.length}`}
        danger
        busy={busy}
        onConfirm={remove}
        onClose={() => setConfirm(false)}
      >
        <p>Running guests are stopped first. This cannot be undone.</p>
        <ul className="max-h-40 list-inside list-disc overflow-y-auto rounded border border-zinc-200 p-2 dark:border-zinc-700">
          {deletable.slice(0, 50).map((g) => (
            <li key={g.id}>{g.name}</li>
          ))}
          {deletable.length > 50 && <li>…and {deletable.length - 50} more</li>}
        </ul>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={purge} onChange={(e) => setPurge(e.target.checked)} />
          Also delete their disks and data (purge)
        </label>
      </ConfirmDialog>
    </div>
  );
}
