"use client";
// A container's named volumes: where each is mounted, mount another (an existing filesystem
// volume) and unmount. The server says when a change applies (a container mounts and unmounts
// at its next start); that sentence is shown as it comes.
import { useState, type FormEvent } from "react";
import { VolumeMount, type Guest, type Volume } from "@/server/contract";
import { errorMessage } from "../api/client";
import { mountVolume, unmountVolume } from "../api/storage";
import { volumesOf } from "../storage/storage-model";
import { Field } from "../ui/field";
import { formatBytes } from "../ui/format";

export function VolumesSection({
  guest,
  volumes,
  canOperate,
  onChange,
}: {
  guest: Guest;
  volumes: Volume[];
  canOperate: boolean;
  onChange: () => void;
}) {
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const mine = volumesOf(guest.id, volumes);
  async function change(call: () => Promise<{ message?: string } | undefined>) {
    setError(null);
    try {
      const r = await call();
      setNote(r?.message ?? null);
      onChange();
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    }
  }
  return (
    <section className="card p-4 text-sm" aria-labelledby="volumes-heading">
      <h2 id="volumes-heading" className="mb-2 font-semibold">
        Volumes
      </h2>
      {mine.length === 0 ? (
        <p className="muted mb-3">No volume is mounted into this container.</p>
      ) : (
        <ul className="mb-3 space-y-1">
          {mine.map(({ volume, mount }) => (
            <li key={volume.id} className="flex flex-wrap items-center gap-3" data-volume={volume.name}>
              <span className="font-medium">{volume.name}</span>
              <span className="font-mono text-xs">at {mount.target}</span>
              {mount.readOnly && <span className="chip">read-only</span>}
              <span className="muted text-xs">
                {formatBytes(volume.capacityBytes)} in {volume.pool}
              </span>
              {canOperate && (
                <button
                  type="button"
                  className="btn"
                  onClick={() => void change(() => unmountVolume(guest.id, volume.id))}
                >
                  Unmount<span className="sr-only"> {volume.name}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canOperate && <MountVolume volumes={volumes} onSubmit={(m) => change(() => mountVolume(guest.id, m))} />}
      {note && (
        <p role="status" className="mt-2 text-amber-700 dark:text-amber-400">
          {note}
        </p>
      )}
      {error && (
        <p role="alert" className="mt-2 text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </section>
  );
}

function MountVolume({ volumes, onSubmit }: { volumes: Volume[]; onSubmit: (m: VolumeMount) => Promise<boolean> }) {
  const [volume, setVolume] = useState("");
  const [path, setPath] = useState("");
  const [readOnly, setReadOnly] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const choices = volumes.filter((v) => v.use === "filesystem");
  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = VolumeMount.safeParse({ volume, path: path.trim(), readOnly: readOnly || undefined });
    if (!r.success) return setError(r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
    setError(null);
    if (await onSubmit(r.data)) {
      setVolume("");
      setPath("");
    }
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Mount a volume">
      <Field label="Volume to mount" className="min-w-44">
        <select className="input" value={volume} onChange={(e) => setVolume(e.target.value)}>
          <option value="">Pick a volume</option>
          {choices.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name} ({formatBytes(v.capacityBytes)}
              {v.attachedTo.length ? `, used by ${v.attachedTo.map((a) => a.guestName).join(", ")}` : ""})
            </option>
          ))}
        </select>
      </Field>
      <Field label="Mount path" className="min-w-40 flex-1">
        <input className="input font-mono" value={path} placeholder="/data" onChange={(e) => setPath(e.target.value)} />
      </Field>
      <label className="mb-2 flex items-center gap-1.5">
        <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} />
        Read-only
      </label>
      <button type="submit" className="btn-primary">
        Mount
      </button>
      {error && (
        <p role="alert" className="w-full text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  );
}
