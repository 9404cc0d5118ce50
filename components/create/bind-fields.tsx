"use client";
// A container's bind mounts: host directories bound in at a path. The server accepts only paths
// under the roots an admin allow-listed (TANDEM_BIND_MOUNT_ROOTS) and says so, naming the row.
import type { BindDraft, FieldsProps } from "./form-model";
import { PathField, ReadOnlyBox, RemoveRowButton, without } from "./row-parts";

export function BindFields({ draft, set, errors }: FieldsProps) {
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
          <PathField
            label={`Bind ${i + 1} host path`}
            error={errors[`binds.${i}.hostPath`]}
            value={b.hostPath}
            placeholder="/srv/shared"
            onChange={(hostPath) => setBind(i, { hostPath })}
          />
          <PathField
            label={`Bind ${i + 1} mount path`}
            error={errors[`binds.${i}.path`]}
            value={b.path}
            placeholder="/shared"
            onChange={(path) => setBind(i, { path })}
          />
          <ReadOnlyBox row={`bind ${i + 1}`} checked={b.readOnly} onChange={(readOnly) => setBind(i, { readOnly })} />
          <RemoveRowButton row={`bind ${i + 1}`} onRemove={() => set("binds", without(draft.binds, i))} />
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
