"use client";
// Host ports for a new guest: a container's published ports, or, once the guest has NICs on
// Tandem networks, port forwards to its first NIC (both kinds; a VM has none without NICs).
import { Field } from "../ui/field";
import type { PortDraft, FieldsProps } from "./form-model";
import { RemoveRowButton, without } from "./row-parts";

export function PortFields({ draft, set, errors }: FieldsProps) {
  const setPort = (i: number, p: Partial<PortDraft>) =>
    set(
      "ports",
      draft.ports.map((x, j) => (j === i ? { ...x, ...p } : x)),
    );
  if (draft.kind === "vm" && draft.nics.length === 0 && draft.ports.length === 0)
    return <p className="muted text-sm">Add a NIC on a Tandem network (Resources) to forward host ports to this VM.</p>;
  return (
    <fieldset>
      <legend className="mb-1 text-sm font-medium">
        {draft.nics.length ? "Port forwards (to the first NIC)" : "Published ports"}
      </legend>
      <div className="space-y-2">
        {draft.ports.map((p, i) => (
          <div key={i} className="flex flex-wrap items-start gap-2">
            <Field label={`Host port ${i + 1}`} error={errors[`ports.${i}.hostPort`]} className="w-32">
              <input
                className="input"
                type="number"
                min={1}
                max={65535}
                value={p.hostPort}
                onChange={(e) => setPort(i, { hostPort: e.target.value })}
              />
            </Field>
            <Field
              label={`${draft.kind === "vm" ? "Guest" : "Container"} port ${i + 1}`}
              error={errors[`ports.${i}.guestPort`]}
              className="w-32"
            >
              <input
                className="input"
                type="number"
                min={1}
                max={65535}
                value={p.guestPort}
                onChange={(e) => setPort(i, { guestPort: e.target.value })}
              />
            </Field>
            <Field label={`Protocol ${i + 1}`} className="w-24">
              <select
                className="input"
                value={p.protocol}
                onChange={(e) => setPort(i, { protocol: e.target.value as PortDraft["protocol"] })}
              >
                <option value="tcp">tcp</option>
                <option value="udp">udp</option>
              </select>
            </Field>
            <RemoveRowButton row={`port ${i + 1}`} onRemove={() => set("ports", without(draft.ports, i))} />
          </div>
        ))}
        <button
          type="button"
          className="btn"
          onClick={() => set("ports", [...draft.ports, { hostPort: "", guestPort: "", protocol: "tcp" }])}
        >
          Add a port
        </button>
        {errors.ports && <p className="text-xs text-red-600 dark:text-red-400">{errors.ports}</p>}
      </div>
    </fieldset>
  );
}
