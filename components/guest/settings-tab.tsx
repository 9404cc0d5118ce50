"use client";
// Tags and notes, name and size (PATCH), and delete with the choice to purge disks.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { canDelete, cpuUnits, UpdateGuestBody, type Guest } from "@/server/contract";
import { errorMessage } from "../api/client";
import { deleteGuest, updateGuest } from "../api/guests";
import { useTasks } from "../realtime/tasks-provider";
import { useHasRole } from "../session-provider";
import { ConfirmDialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { TagInput } from "../ui/tag-input";
import { useNotify } from "../ui/toaster";

export function SettingsTab({ guest }: { guest: Guest }) {
  const canOperate = useHasRole("operator");
  return (
    <div className="grid max-w-3xl gap-4">
      <MetaForm key={guest.id} guest={guest} disabled={!canOperate} />
      <SizeForm key={`${guest.id}-size`} guest={guest} disabled={!canOperate} />
      {canOperate && <DeleteSection guest={guest} />}
    </div>
  );
}

/** Name and size, where the guest's backend allows: live, or only once the guest is stopped. */
function SizeForm({ guest, disabled }: { guest: Guest; disabled: boolean }) {
  const notify = useNotify();
  const [name, setName] = useState(guest.name);
  const [vcpus, setVcpus] = useState(String(guest.vcpus));
  const [memory, setMemory] = useState(String(guest.memoryMiB));
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const { rename, resize, liveResize } = guest.capabilities;
  const mustStop = !liveResize && guest.state !== "stopped";
  const cpu = cpuUnits[guest.kind];

  async function save(e: FormEvent) {
    e.preventDefault();
    const parsed = UpdateGuestBody.safeParse({
      ...(rename && name !== guest.name ? { name } : {}),
      ...(resize && Number(vcpus) !== guest.vcpus ? { vcpus: Number(vcpus) } : {}),
      ...(resize && Number(memory) !== guest.memoryMiB ? { memoryMiB: Number(memory) } : {}),
    });
    if (!parsed.success)
      return setError(parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
    setError(undefined);
    setBusy(true);
    try {
      await updateGuest(guest.id, parsed.data);
      notify(`Saved ${parsed.data.name ?? guest.name}`, "success");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card p-4 text-sm" aria-labelledby="resize-heading">
      <h2 id="resize-heading" className="mb-2 font-semibold">
        Name and size
      </h2>
      {!rename && !resize ? (
        <p className="muted">This guest&apos;s backend cannot rename or resize it.</p>
      ) : (
        <form onSubmit={save} className="flex flex-wrap items-end gap-3">
          {rename && (
            <Field label="Name" className="min-w-48 flex-1">
              <input
                className="input"
                value={name}
                disabled={disabled || mustStop}
                onChange={(e) => setName(e.target.value)}
              />
            </Field>
          )}
          {resize && (
            <>
              <Field label={guest.kind === "vm" ? "vCPUs" : "CPU limit (cores)"} className="w-36">
                <input
                  className="input"
                  type="number"
                  min={cpu.min}
                  step={cpu.step}
                  value={vcpus}
                  disabled={disabled || mustStop}
                  onChange={(e) => setVcpus(e.target.value)}
                />
              </Field>
              <Field label="Memory (MiB)" className="w-36">
                <input
                  className="input"
                  type="number"
                  min={16}
                  value={memory}
                  disabled={disabled || mustStop}
                  onChange={(e) => setMemory(e.target.value)}
                />
              </Field>
            </>
          )}
          <button type="submit" className="btn-primary" disabled={disabled || busy}>
            Apply
          </button>
          {mustStop && (
            <p className="muted w-full">
              Shut the {guest.kind === "vm" ? "VM" : "container"} down to rename it or change its{" "}
              {guest.kind === "vm" ? "vCPUs" : "CPU limit"} or memory.
            </p>
          )}
          {error && (
            <p role="alert" className="w-full text-red-600 dark:text-red-400">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}

function MetaForm({ guest, disabled }: { guest: Guest; disabled: boolean }) {
  const notify = useNotify();
  const [tags, setTags] = useState(guest.tags);
  const [notes, setNotes] = useState(guest.notes);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<{ tags?: string; notes?: string }>({});
  const dirty = notes !== guest.notes || tags.join("\n") !== guest.tags.join("\n");

  async function save(e: FormEvent) {
    e.preventDefault();
    const parsed = UpdateGuestBody.safeParse({ tags, notes });
    if (!parsed.success) {
      const out: typeof errors = {};
      for (const i of parsed.error.issues) out[i.path[0] === "tags" ? "tags" : "notes"] ??= i.message;
      setErrors(out);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await updateGuest(guest.id, parsed.data);
      notify(`Saved ${guest.name}`, "success");
    } catch (err) {
      notify(`Could not save: ${errorMessage(err)}`, "error");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={save} className="card space-y-3 p-4" aria-labelledby="meta-heading">
      <h2 id="meta-heading" className="font-semibold">
        Tags and notes
      </h2>
      <fieldset disabled={disabled} className="space-y-3">
        <Field label="Tags" hint="Press Enter to add a tag; filter the list by tag." error={errors.tags}>
          <TagInput value={tags} onChange={setTags} />
        </Field>
        <Field label="Notes" error={errors.notes}>
          <textarea className="input min-h-28" value={notes} onChange={(e) => setNotes(e.target.value)} />
        </Field>
        <button type="submit" className="btn-primary" disabled={busy || !dirty}>
          {busy ? "Saving…" : "Save"}
        </button>
      </fieldset>
    </form>
  );
}

function DeleteSection({ guest }: { guest: Guest }) {
  const router = useRouter();
  const notify = useNotify();
  const { watch } = useTasks();
  const [open, setOpen] = useState(false);
  const [purge, setPurge] = useState(guest.kind === "container");
  const [busy, setBusy] = useState(false);
  async function remove() {
    setBusy(true);
    try {
      const { taskId } = await deleteGuest(guest.id, purge);
      watch(taskId, `Delete ${guest.name}`);
      setOpen(false);
      router.push("/");
    } catch (e) {
      notify(`Could not delete ${guest.name}: ${errorMessage(e)}`, "error");
      setBusy(false);
    }
  }
  return (
    <section className="card border-red-200 p-4 text-sm dark:border-red-900" aria-labelledby="delete-heading">
      <h2 id="delete-heading" className="mb-1 font-semibold text-red-700 dark:text-red-400">
        Delete this guest
      </h2>
      <p className="muted mb-3">A running guest is stopped first. Deleting cannot be undone.</p>
      <button type="button" className="btn-danger" disabled={!canDelete(guest.state)} onClick={() => setOpen(true)}>
        Delete {guest.name}…
      </button>
      <ConfirmDialog
        open={open}
        title={`Delete ${guest.name}?`}
        confirmLabel="Delete"
        danger
        busy={busy}
        onConfirm={remove}
        onClose={() => setOpen(false)}
      >
        <p>
          {guest.kind === "vm"
            ? "The VM's definition is removed from the hypervisor."
            : "The container is stopped and removed from the host."}
        </p>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={purge} onChange={(e) => setPurge(e.target.checked)} />
          {guest.kind === "vm"
            ? "Also delete its disks (purge)"
            : "Also delete its writable layer, log and volumes (purge)"}
        </label>
        {purge && guest.kind === "container" && (
          <p className="muted">A volume another container also has is only detached, not deleted.</p>
        )}
        {!purge && (
          <p className="muted">
            {guest.kind === "vm"
              ? "Its disks stay on the host until an administrator deletes them."
              : "Its writable layer, log and settings stay on the host (kept-containers/ in the data directory) until an administrator deletes them; its volumes stay in their pools (Storage page)."}
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}
