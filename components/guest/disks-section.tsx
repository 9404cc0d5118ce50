"use client";
// A VM's disks: the root disk and the pool volumes attached to it; add one (new or an unattached
// disk volume; hotplugged into a running VM), detach (optionally deleting the volume), grow and
// move to another pool. Changes run as tasks: the list is re-read when one on this guest ends.
import { useState, type FormEvent } from "react";
import { NewDisk, type Guest, type GuestDisk, type Pool, type Volume } from "@/server/contract";
import { errorMessage } from "../api/client";
import { addDisk, detachDisk, moveDisk, resizeDisk, taskIdOf } from "../api/storage";
import { useTasks } from "../realtime/tasks-provider";
import { Dialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { formatBytes } from "../ui/format";
import { useNotify } from "../ui/toaster";

type Op = { disk: GuestDisk; op: "detach" | "grow" | "move" };

export function DisksSection({
  guest,
  disks,
  pools,
  volumes,
  canOperate,
  onChange,
}: {
  guest: Guest;
  disks: GuestDisk[];
  pools: Pool[];
  volumes: Volume[];
  canOperate: boolean;
  onChange: () => void;
}) {
  const notify = useNotify();
  const { watch } = useTasks();
  const [pending, setPending] = useState<Op | null>(null);
  const [opError, setOpError] = useState<string | null>(null);
  const [purge, setPurge] = useState(false);
  const [size, setSize] = useState("");
  const [pool, setPool] = useState("");
  const [busy, setBusy] = useState(false);

  /** Runs a change; a task is watched (its end is a notice). Returns the error message, if any. */
  async function run(label: string, call: () => Promise<unknown>): Promise<string | null> {
    setBusy(true);
    try {
      const id = taskIdOf(await call());
      if (id) watch(id, label);
      else notify(`${label}: done`, "success");
      onChange();
      return null;
    } catch (e) {
      return errorMessage(e);
    } finally {
      setBusy(false);
    }
  }
  async function confirm() {
    if (!pending?.disk.volumeId) return;
    const v = pending.disk.volumeId;
    const t = pending.disk.target;
    let err: string | null = null;
    if (pending.op === "detach")
      err = await run(`Detach ${t} from ${guest.name}`, () => detachDisk(guest.id, v, purge));
    else if (pending.op === "grow") {
      const n = Number(size);
      if (!Number.isInteger(n) || n < 1) return setOpError("sizeGiB: a whole number of GiB");
      err = await run(`Grow ${t} of ${guest.name}`, () => resizeDisk(guest.id, v, n));
    } else if (pool) err = await run(`Move ${t} of ${guest.name} to ${pool}`, () => moveDisk(guest.id, v, pool));
    setOpError(err);
    if (!err) setPending(null);
  }
  const open = (disk: GuestDisk, op: Op["op"]) => {
    setOpError(null);
    setPurge(false);
    setSize(String(Math.ceil(disk.capacityBytes / 1024 ** 3)));
    setPool(pools.find((p) => p.name !== disk.pool)?.name ?? "");
    setPending({ disk, op });
  };

  return (
    <section className="card p-4 text-sm" aria-labelledby="disks-heading">
      <h2 id="disks-heading" className="mb-2 font-semibold">
        Disks
      </h2>
      <table className="mb-3 w-full">
        <caption className="sr-only">Disks of {guest.name}</caption>
        <thead className="muted text-left text-xs">
          <tr>
            <th className="py-1 pr-3">Device</th>
            <th className="py-1 pr-3 text-right">Size</th>
            <th className="py-1 pr-3">Pool</th>
            <th className="hidden py-1 pr-3 md:table-cell">Path</th>
            <th className="py-1">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {disks.map((d) => (
            <tr key={d.target} className="border-t border-zinc-100 dark:border-zinc-800" data-disk={d.target}>
              <td className="py-1.5 pr-3 font-mono">
                {d.target} {d.readOnly && <span className="chip font-sans">read-only</span>}
              </td>
              <td className="py-1.5 pr-3 text-right whitespace-nowrap tabular-nums">{formatBytes(d.capacityBytes)}</td>
              <td className="py-1.5 pr-3 whitespace-nowrap">{d.pool ?? <span className="muted">root disk</span>}</td>
              <td className="muted hidden py-1.5 pr-3 font-mono text-xs break-all md:table-cell">{d.path}</td>
              <td className="py-1.5 text-right whitespace-nowrap">
                {canOperate && d.volumeId && (
                  <>
                    <button type="button" className="btn mr-1" onClick={() => open(d, "grow")}>
                      Grow<span className="sr-only"> {d.target}</span>
                    </button>
                    <button
                      type="button"
                      className="btn mr-1"
                      disabled={pools.length < 2}
                      onClick={() => open(d, "move")}
                    >
                      Move<span className="sr-only"> {d.target}</span>
                    </button>
                    <button type="button" className="btn" onClick={() => open(d, "detach")}>
                      Detach<span className="sr-only"> {d.target}</span>
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canOperate && <AddDisk guest={guest} pools={pools} volumes={volumes} run={run} />}
      <Dialog
        open={pending !== null}
        onClose={() => setPending(null)}
        title={
          pending
            ? `${pending.op === "detach" ? "Detach" : pending.op === "grow" ? "Grow" : "Move"} ${pending.disk.target}?`
            : ""
        }
      >
        <div className="space-y-3 text-sm">
          {pending?.op === "detach" && (
            <>
              <p>The disk leaves {guest.name} (live, if it runs). Its volume stays in its pool unless you delete it.</p>
              <label className="flex items-center gap-2">
                <input type="checkbox" checked={purge} onChange={(e) => setPurge(e.target.checked)} />
                Also delete the volume (purge)
              </label>
            </>
          )}
          {pending?.op === "grow" && (
            <Field label="New size (GiB)" hint="Disks only grow; the guest's filesystem is not resized for you.">
              <input className="input" type="number" min={1} value={size} onChange={(e) => setSize(e.target.value)} />
            </Field>
          )}
          {pending?.op === "move" && (
            <Field label="Target pool" hint="The VM must be stopped; the disk is copied, then the old volume removed.">
              <select className="input" value={pool} onChange={(e) => setPool(e.target.value)}>
                {pools
                  .filter((p) => p.name !== pending.disk.pool)
                  .map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name} ({formatBytes(p.availableBytes)} free)
                    </option>
                  ))}
              </select>
            </Field>
          )}
          {opError && (
            <p role="alert" className="text-red-600 dark:text-red-400">
              {opError}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <button type="button" className="btn" onClick={() => setPending(null)}>
              Cancel
            </button>
            <button
              type="button"
              className={pending?.op === "detach" ? "btn-danger" : "btn-primary"}
              disabled={busy}
              onClick={() => void confirm()}
            >
              {pending?.op === "detach" ? "Detach" : pending?.op === "grow" ? "Grow" : "Move"}
            </button>
          </div>
        </div>
      </Dialog>
    </section>
  );
}

function AddDisk({
  guest,
  pools,
  volumes,
  run,
}: {
  guest: Guest;
  pools: Pool[];
  volumes: Volume[];
  run: (label: string, call: () => Promise<unknown>) => Promise<string | null>;
}) {
  const [source, setSource] = useState<"new" | "existing">("new");
  const [size, setSize] = useState("1");
  const [pool, setPool] = useState("");
  const [volume, setVolume] = useState("");
  const [error, setError] = useState<string | null>(null);
  const free = volumes.filter((v) => v.use === "disk" && v.attachedTo.length === 0);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = NewDisk.safeParse(
      source === "new"
        ? { sizeGiB: size.trim() === "" ? undefined : Number(size), pool: pool || undefined }
        : { volume },
    );
    if (!r.success)
      return setError(r.error.issues.map((i) => `${String(i.path[0] ?? "disk")}: ${i.message}`).join("; "));
    setError(await run(`Add a disk to ${guest.name}`, () => addDisk(guest.id, r.data)));
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Add a disk">
      <Field label="New disk" className="w-40">
        <select className="input" value={source} onChange={(e) => setSource(e.target.value as "new" | "existing")}>
          <option value="new">New volume</option>
          <option value="existing">Existing volume</option>
        </select>
      </Field>
      {source === "new" ? (
        <>
          <Field label="Size (GiB)" className="w-28">
            <input className="input" type="number" min={1} value={size} onChange={(e) => setSize(e.target.value)} />
          </Field>
          <Field label="Pool" className="min-w-40">
            <select className="input" value={pool} onChange={(e) => setPool(e.target.value)}>
              <option value="">Default pool</option>
              {pools.map((p) => (
                <option key={p.name} value={p.name}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
        </>
      ) : (
        <Field label="Volume" className="min-w-44">
          <select className="input" value={volume} onChange={(e) => setVolume(e.target.value)}>
            <option value="">Pick a disk volume</option>
            {free.map((v) => (
              <option key={v.id} value={v.id}>
                {v.name} ({formatBytes(v.capacityBytes)}, {v.pool})
              </option>
            ))}
          </select>
        </Field>
      )}
      <button type="submit" className="btn-primary">
        Add disk
      </button>
      {error && (
        <p role="alert" className="w-full text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  );
}
