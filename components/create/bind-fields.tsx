"use client";
// A container's bind mounts: host directories bound in at a path. The server accepts only paths
// under the roots an admin allow-listed (TANDEM_BIND_MOUNT_ROOTS) and says so, naming the row.
import { Field } from "../ui/field";
import type { BindDraft, Draft, Errors } from "./form-model";

export function BindFields({
  draft,
  set,
  errors,
}: {
  draft: Draft;
  set: <K extends keyof Draft>(k: K, v: Draft[K]) => void;
  errors: Errors;
}) {
  const setBind = (i: number, p: Partial<BindDraft>) =>
    set(
      "binds",
      draft.binds.map((x, j) => (j === i ? { ...x, ...p } : x)),
    );
  return (
    <div className="mt-3 space-y-2">
      <p className="text-sm font-medium">Bind mounts</p>
      {draft.binds.map((b, i) => (
        <div key={i} className="flex flex-wrap items-start gap-2">
          <Field label={`Bind ${i + 1} host path`} error={errors[`binds.${i}.hostPath`]} className="min-w-44 flex-1">
            <input
              className="input font-mono"
              value={b.hostPath}
              placeholder="/srv/shared"
              onChange={(e) => setBind(i, { hostPath: e.target.value })}
            />
          </Field>
          <Field label={`Bind ${i + 1} mount path`} error={errors[`binds.${i}.path`]} className="min-w-44 flex-1">
            <input
              className="input font-mono"
              value={b.path}
              placeholder="/shared"
              onChange={(e) => setBind(i, { path: e.target.value })}
            />
          </Field>
          <label className="mt-7 flex items-center gap-1.5 text-sm">
            <input type="checkbox" checked={b.readOnly} onChange={(e) => setBind(i, { readOnly: e.target.checked })} />
            Read-only<span className="sr-only"> bind {i + 1}</span>
          </label>
          <button
            type="button"
            className="btn mt-6"
            aria-label={`Remove bind ${i + 1}`}
            onClick={() =>
              set(
                "binds",
                draft.binds.filter((_, j) => j !== i),
              )
            }
          >
            Remove
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn"
        onClick={() => set("binds", [...draft.binds, { hostPath: "", path: "", readOnly: true }])}
      >
        Add a bind mount
      </button>
      <p className="muted text-xs">Only host directories under the roots an administrator allowed.</p>
    </div>
  );
}
