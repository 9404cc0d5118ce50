"use client";
// Create a volume: a name, a size in GiB, the pool (default: Tandem's) and what it is for — a
// container's filesystem or a VM's disk. Checked with the contract's schema before it is sent.
import { useState, type FormEvent } from "react";
import { CreateVolumeBody, type Pool, type Volume } from "@/server/contract";
import { errorMessage } from "../api/client";
import { createVolume } from "../api/storage";
import { Dialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { formatBytes } from "../ui/format";

export function VolumeDialog({
  open,
  pools,
  onClose,
  onCreated,
}: {
  open: boolean;
  pools: Pool[];
  onClose: () => void;
  onCreated: (v: Volume) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title="Create a volume">
      <VolumeForm pools={pools} onClose={onClose} onCreated={onCreated} />
    </Dialog>
  );
}

function VolumeForm({
  pools,
  onClose,
  onCreated,
}: {
  pools: Pool[];
  onClose: () => void;
  onCreated: (v: Volume) => void;
}) {
  const [name, setName] = useState("");
  const [size, setSize] = useState("1");
  const [pool, setPool] = useState("");
  const [use, setUse] = useState<"filesystem" | "disk">("filesystem");
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const r = CreateVolumeBody.safeParse({
      name: name.trim(),
      sizeGiB: size.trim() === "" ? undefined : Number(size),
      pool: pool || undefined,
      use,
    });
    if (!r.success) {
      const out: Partial<Record<string, string>> = {};
      for (const i of r.error.issues) out[String(i.path[0])] ??= i.message;
      return setErrors(out);
    }
    setErrors({});
    setBusy(true);
    try {
      onCreated(await createVolume(r.data));
    } catch (err) {
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="grid gap-4 text-sm">
      <Field label="Volume name" error={errors.name}>
        <input className="input" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field label="Size (GiB)" error={errors.sizeGiB}>
        <input className="input" type="number" min={1} value={size} onChange={(e) => setSize(e.target.value)} />
      </Field>
      <Field label="Pool" error={errors.pool}>
        <select className="input" value={pool} onChange={(e) => setPool(e.target.value)}>
          <option value="">Default pool</option>
          {pools.map((p) => (
            <option key={p.name} value={p.name} disabled={p.state !== "running"}>
              {p.name} ({formatBytes(p.availableBytes)} free)
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Use"
        error={errors.use}
        hint="A filesystem volume is mounted into containers; a disk is attached to VMs."
      >
        <select className="input" value={use} onChange={(e) => setUse(e.target.value as typeof use)}>
          <option value="filesystem">Container volume (filesystem)</option>
          <option value="disk">VM disk</option>
        </select>
      </Field>
      {serverError && (
        <p role="alert" className="text-red-600 dark:text-red-400">
          {serverError}
        </p>
      )}
      <div className="flex justify-end gap-2">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={busy}>
          {busy ? "Creating…" : "Create volume"}
        </button>
      </div>
    </form>
  );
}
