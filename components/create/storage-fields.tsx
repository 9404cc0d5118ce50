"use client";
// The wizard's storage beyond the root disk: a VM's extra disks (new volumes, size and pool);
// a container's volumes (an existing one, or a new one the wizard makes just before the
// container), each mounted at a path, read-only or not, and its bind mounts.
import { useEffect, useState } from "react";
import type { Pool, Volume } from "@/server/contract";
import { errorMessage } from "../api/client";
import { listPools, listVolumes } from "../api/storage";
import { Field } from "../ui/field";
import { formatBytes } from "../ui/format";
import { BindFields } from "./bind-fields";
import type { DiskDraft, VolumeDraft, FieldsProps } from "./form-model";
import { PathField, ReadOnlyBox, RemoveRowButton, without } from "./row-parts";

export function StorageFields(props: FieldsProps) {
  const [pools, setPools] = useState<Pool[]>([]);
  const [volumes, setVolumes] = useState<Volume[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    Promise.all([listPools(), listVolumes()]).then(
      ([p, v]) => {
        setPools(p);
        setVolumes(v);
      },
      (e) => setLoadError(errorMessage(e)),
    );
  }, []);
  return (
    <fieldset className="sm:col-span-2">
      <legend className="mb-1 text-sm font-medium">{props.draft.kind === "vm" ? "Extra disks" : "Volumes"}</legend>
      {loadError && <p className="text-xs text-red-600">Could not list storage: {loadError}</p>}
      {props.draft.kind === "vm" ? (
        <DiskRows
          {...props}
          pools={pools}
          volumes={volumes.filter((v) => v.use === "disk" && v.attachedTo.length === 0)}
        />
      ) : (
        <>
          <VolumeRows {...props} volumes={volumes.filter((v) => v.use === "filesystem")} />
          <BindFields {...props} />
        </>
      )}
    </fieldset>
  );
}

function DiskRows({ draft, set, errors, pools, volumes }: FieldsProps & { pools: Pool[]; volumes: Volume[] }) {
  const setDisk = (i: number, p: Partial<DiskDraft>) =>
    set(
      "disks",
      draft.disks.map((x, j) => (j === i ? { ...x, ...p } : x)),
    );
  return (
    <div className="space-y-2">
      {draft.disks.map((d, i) => (
        <div key={i} className="flex flex-wrap items-start gap-2">
          <Field label={`Disk ${i + 2} source`} className="w-40">
            <select
              className="input"
              value={d.source}
              onChange={(e) => setDisk(i, { source: e.target.value as DiskDraft["source"] })}
            >
              <option value="new">New volume</option>
              <option value="existing">Existing volume</option>
            </select>
          </Field>
          {d.source === "existing" ? (
            <Field label={`Disk ${i + 2} volume`} error={errors[`disks.${i}.volume`]} className="min-w-44 flex-1">
              <select className="input" value={d.volume} onChange={(e) => setDisk(i, { volume: e.target.value })}>
                <option value="">Pick a disk volume</option>
                {volumes.map((v) => (
                  <option key={v.id} value={v.name}>
                    {v.name} ({formatBytes(v.capacityBytes)}, {v.pool})
                  </option>
                ))}
              </select>
            </Field>
          ) : (
            <>
              <Field label={`Disk ${i + 2} size (GiB)`} error={errors[`disks.${i}.sizeGiB`]} className="w-40">
                <input
                  className="input"
                  type="number"
                  min={1}
                  value={d.sizeGiB}
                  onChange={(e) => setDisk(i, { sizeGiB: e.target.value })}
                />
              </Field>
              <Field label={`Disk ${i + 2} pool`} error={errors[`disks.${i}.pool`]} className="min-w-44 flex-1">
                <select className="input" value={d.pool} onChange={(e) => setDisk(i, { pool: e.target.value })}>
                  <option value="">Default pool</option>
                  {pools.map((p) => (
                    <option key={p.name} value={p.name}>
                      {p.name} ({formatBytes(p.availableBytes)} free)
                    </option>
                  ))}
                </select>
              </Field>
            </>
          )}
          <RemoveRowButton row={`disk ${i + 2}`} onRemove={() => set("disks", without(draft.disks, i))} />
        </div>
      ))}
      <button
        type="button"
        className="btn"
        onClick={() => set("disks", [...draft.disks, { source: "new", sizeGiB: "1", pool: "", volume: "" }])}
      >
        Add a disk
      </button>
    </div>
  );
}

function VolumeRows({ draft, set, errors, volumes }: FieldsProps & { volumes: Volume[] }) {
  const setVol = (i: number, p: Partial<VolumeDraft>) =>
    set(
      "volumes",
      draft.volumes.map((x, j) => (j === i ? { ...x, ...p } : x)),
    );
  return (
    <div className="space-y-3">
      {draft.volumes.map((v, i) => (
        <div key={i} className="flex flex-wrap items-start gap-2 border-l-2 border-zinc-200 pl-2 dark:border-zinc-700">
          <Field label={`Volume ${i + 1} source`} className="w-40">
            <select
              className="input"
              value={v.source}
              onChange={(e) => setVol(i, { source: e.target.value as VolumeDraft["source"], volume: "" })}
            >
              <option value="new">New volume</option>
              <option value="existing">Existing volume</option>
            </select>
          </Field>
          {v.source === "new" ? (
            <>
              <Field label={`Volume ${i + 1} name`} error={errors[`volumes.${i}.volume`]} className="min-w-36 flex-1">
                <input
                  className="input"
                  value={v.volume}
                  autoComplete="off"
                  onChange={(e) => setVol(i, { volume: e.target.value })}
                />
              </Field>
              <Field label={`Volume ${i + 1} size (GiB)`} error={errors[`volumes.${i}.sizeGiB`]} className="w-32">
                <input
                  className="input"
                  type="number"
                  min={1}
                  value={v.sizeGiB}
                  onChange={(e) => setVol(i, { sizeGiB: e.target.value })}
                />
              </Field>
            </>
          ) : (
            <Field label={`Volume ${i + 1}`} error={errors[`volumes.${i}.volume`]} className="min-w-44 flex-1">
              <select className="input" value={v.volume} onChange={(e) => setVol(i, { volume: e.target.value })}>
                <option value="">Pick a volume</option>
                {volumes.map((x) => (
                  <option key={x.id} value={x.name}>
                    {x.name} ({formatBytes(x.capacityBytes)}
                    {x.attachedTo.length ? `, used by ${x.attachedTo.map((a) => a.guestName).join(", ")}` : ""})
                  </option>
                ))}
              </select>
            </Field>
          )}
          <PathField
            label={`Volume ${i + 1} mount path`}
            error={errors[`volumes.${i}.path`]}
            value={v.path}
            placeholder="/data"
            onChange={(path) => setVol(i, { path })}
          />
          <ReadOnlyBox row={`volume ${i + 1}`} checked={v.readOnly} onChange={(readOnly) => setVol(i, { readOnly })} />
          <RemoveRowButton row={`volume ${i + 1}`} onRemove={() => set("volumes", without(draft.volumes, i))} />
        </div>
      ))}
      <button
        type="button"
        className="btn"
        onClick={() =>
          set("volumes", [
            ...draft.volumes,
            { source: "new", volume: "", sizeGiB: "1", path: draft.volumes.length ? "" : "/data", readOnly: false },
          ])
        }
      >
        Add a volume
      </button>
    </div>
  );
}
