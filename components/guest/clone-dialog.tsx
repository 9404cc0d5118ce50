"use client";
// Clone a stopped VM once or N times with a naming pattern, linked (copy-on-write) or full.
import { useRouter } from "next/navigation";
import { useMemo, useState, type FormEvent } from "react";
import { sameNameScope, type Guest } from "@/server/contract";
import { cloneGuest } from "../api/guests";
import { runBulk } from "../guests/bulk";
import { useGuests } from "../realtime/guests-provider";
import { useTasks } from "../realtime/tasks-provider";
import { Dialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { useNotify } from "../ui/toaster";
import { guestHref } from "./links";
import { cloneNames, cloneNamesError } from "./clone-names";

export function CloneDialog({ guest, open, onClose }: { guest: Guest; open: boolean; onClose: () => void }) {
  const router = useRouter();
  const notify = useNotify();
  const { watch } = useTasks();
  const { list } = useGuests();
  const [pattern, setPattern] = useState(`${guest.name}-clone`);
  const [count, setCount] = useState("1");
  const [mode, setMode] = useState<"linked" | "full">("linked");
  const [busy, setBusy] = useState(false);
  const n = Math.max(1, Math.min(50, Math.floor(Number(count)) || 1));
  const names = useMemo(() => cloneNames(pattern, n), [pattern, n]);
  const taken = useMemo(() => new Set(list.filter((g) => sameNameScope(g, guest)).map((g) => g.name)), [list, guest]);
  const error = cloneNamesError(names, taken);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (error) return;
    setBusy(true);
    const created: { id: string; name: string }[] = [];
    // Two at a time: each clone reads the source's disk.
    const r = await runBulk(
      names,
      async (name) => {
        const res = await cloneGuest(guest.id, { name, mode });
        watch(res.taskId, `Clone ${guest.name} → ${name}`);
        created.push({ id: res.guest.id, name });
      },
      2,
    );
    setBusy(false);
    if (r.failed.length) notify(`${r.failed.length} clone(s) failed: ${r.failed[0]!.error}`, "error");
    onClose();
    if (created.length === 1 && names.length === 1) router.push(guestHref(created[0]!.id));
  }

  return (
    <Dialog open={open} onClose={onClose} title={`Clone ${guest.name}`}>
      <form onSubmit={submit} className="space-y-3 text-sm">
        <Field label="Name or pattern" hint="{n} is replaced by 1, 2, 3… when making several.">
          <input className="input" value={pattern} onChange={(e) => setPattern(e.target.value)} />
        </Field>
        <Field label="How many">
          <input
            className="input"
            type="number"
            min={1}
            max={50}
            value={count}
            onChange={(e) => setCount(e.target.value)}
          />
        </Field>
        <fieldset className="space-y-1">
          <legend className="mb-1 font-medium">Disk</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name="clone-mode" checked={mode === "linked"} onChange={() => setMode("linked")} />
            Linked — copy-on-write on this VM&apos;s disk (fast, small)
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="clone-mode" checked={mode === "full"} onChange={() => setMode("full")} />
            Full copy — independent of this VM
          </label>
        </fieldset>
        <p className="muted" aria-live="polite">
          {names.length === 1 ? `Creates ${names[0]}.` : `Creates ${names[0]} … ${names[names.length - 1]}.`}
        </p>
        {error && (
          <p role="alert" className="text-red-600 dark:text-red-400">
            {error}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn-primary" disabled={busy || error !== null}>
            {busy ? "Cloning…" : names.length === 1 ? "Clone" : `Clone ${names.length}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
