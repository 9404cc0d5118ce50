"use client";
// Snapshots: list, take, revert, delete. Shown only for guests whose backend has them
// (guest.capabilities.snapshots); says so plainly if the server refuses all the same.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { SnapshotName, type Guest, type Snapshot } from "@/server/contract";
import { ApiError, errorMessage } from "../api/client";
import { createSnapshot, deleteSnapshot, listSnapshots, revertSnapshot } from "../api/snapshots";
import { useTasks } from "../realtime/tasks-provider";
import { useHasRole } from "../session-provider";
import { ConfirmDialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { formatDateTime } from "../ui/format";
import { useNotify } from "../ui/toaster";

type Load =
  | { state: "loading" }
  | { state: "unsupported"; message: string }
  | { state: "error"; message: string }
  | { state: "ok"; list: Snapshot[] };

export function SnapshotsTab({ guest }: { guest: Guest }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const { tasks } = useTasks();
  const canOperate = useHasRole("operator");
  const refresh = useCallback(() => {
    listSnapshots(guest.id)
      .then((list) => setLoad({ state: "ok", list }))
      .catch((e) =>
        setLoad(
          // 400: this guest's backend has no snapshots.
          e instanceof ApiError && e.status === 400
            ? { state: "unsupported", message: errorMessage(e) }
            : { state: "error", message: errorMessage(e) },
        ),
      );
  }, [guest.id]);
  // Re-read whenever a task on this guest finishes (snapshot, revert, delete).
  const finished = [...tasks.values()].filter((t) => t.targetId === guest.id && t.finishedAt).length;
  useEffect(() => {
    refresh();
  }, [refresh, finished]);

  if (load.state === "loading") return <p className="muted text-sm">Loading snapshots…</p>;
  if (load.state === "unsupported")
    return (
      <p className="card muted p-4 text-sm" role="status">
        Snapshots are not available for this guest: {load.message}
      </p>
    );
  if (load.state === "error")
    return (
      <p role="alert" className="text-sm text-red-600">
        Could not list snapshots: {load.message}
      </p>
    );
  return (
    <div className="grid max-w-4xl gap-4">
      {canOperate && <TakeSnapshot guest={guest} onDone={refresh} />}
      <SnapshotTable guest={guest} list={load.list} canOperate={canOperate} onChange={refresh} />
    </div>
  );
}

function TakeSnapshot({ guest, onDone }: { guest: Guest; onDone: () => void }) {
  const notify = useNotify();
  const { watch } = useTasks();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = SnapshotName.safeParse(name);
    if (!r.success) return setError(r.error.issues[0]?.message);
    setError(undefined);
    setBusy(true);
    try {
      const res = await createSnapshot(guest.id, r.data, description);
      watch(res.taskId, `Snapshot ${guest.name}`);
      setName("");
      setDescription("");
      onDone();
    } catch (err) {
      notify(`Could not take a snapshot: ${errorMessage(err)}`, "error");
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="card flex flex-wrap items-end gap-3 p-4" aria-label="Take a snapshot">
      <Field label="Snapshot name" error={error} className="min-w-48 flex-1">
        <input className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="before-upgrade" />
      </Field>
      <Field label="Description" className="min-w-48 flex-[2]">
        <input className="input" value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <button type="submit" className="btn-primary" disabled={busy}>
        Take snapshot
      </button>
    </form>
  );
}

function SnapshotTable({
  guest,
  list,
  canOperate,
  onChange,
}: {
  guest: Guest;
  list: Snapshot[];
  canOperate: boolean;
  onChange: () => void;
}) {
  const notify = useNotify();
  const { watch } = useTasks();
  const [pending, setPending] = useState<{ snap: Snapshot; op: "revert" | "delete" } | null>(null);
  async function confirm() {
    if (!pending) return;
    const { snap, op } = pending;
    try {
      if (op === "revert") {
        const r = await revertSnapshot(guest.id, snap.name);
        watch(r.taskId, `Revert ${guest.name} to ${snap.name}`);
      } else await deleteSnapshot(guest.id, snap.name);
      onChange();
    } catch (e) {
      notify(`${op === "revert" ? "Revert" : "Delete"} failed: ${errorMessage(e)}`, "error");
    }
    setPending(null);
  }
  if (!list.length) return <p className="muted text-sm">No snapshots yet.</p>;
  return (
    <>
      <table className="card w-full overflow-hidden text-sm">
        <caption className="sr-only">Snapshots of {guest.name}</caption>
        <thead className="muted bg-zinc-50 text-left text-xs dark:bg-zinc-900/60">
          <tr>
            <th className="px-3 py-2">Name</th>
            <th className="px-3 py-2">Taken</th>
            <th className="hidden px-3 py-2 sm:table-cell">Description</th>
            <th className="px-3 py-2">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.name} className="border-t border-zinc-100 dark:border-zinc-800">
              <td className="px-3 py-2 font-medium">
                {s.name} {s.current && <span className="chip">current</span>}
              </td>
              <td className="px-3 py-2">{formatDateTime(s.createdAt)}</td>
              <td className="muted hidden px-3 py-2 sm:table-cell">{s.description}</td>
              <td className="px-3 py-2 text-right whitespace-nowrap">
                {canOperate && (
                  <>
                    <button type="button" className="btn mr-1" onClick={() => setPending({ snap: s, op: "revert" })}>
                      Revert
                    </button>
                    <button type="button" className="btn" onClick={() => setPending({ snap: s, op: "delete" })}>
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ConfirmDialog
        open={pending !== null}
        title={pending?.op === "revert" ? `Revert to ${pending.snap.name}?` : `Delete snapshot ${pending?.snap.name}?`}
        confirmLabel={pending?.op === "revert" ? "Revert" : "Delete"}
        danger
        onConfirm={confirm}
        onClose={() => setPending(null)}
      >
        <p>
          {pending?.op === "revert"
            ? `${guest.name} returns to the state it had then; changes since are lost.`
            : "The snapshot is removed; the VM is not affected."}
        </p>
      </ConfirmDialog>
    </>
  );
}
