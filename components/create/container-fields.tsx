"use client";
// Container settings: command, environment, published ports, working directory, restart.
import { Field } from "../ui/field";
import type { Draft, Errors, PortDraft } from "./form-model";

export function ContainerFields({
  draft,
  set,
  errors,
}: {
  draft: Draft;
  set: <K extends keyof Draft>(k: K, v: Draft[K]) => void;
  errors: Errors;
}) {
  const setPort = (i: number, p: Partial<PortDraft>) =>
    set(
      "ports",
      draft.ports.map((x, j) => (j === i ? { ...x, ...p } : x)),
    );
  return (
    <div className="grid gap-4">
      <Field
        label="Command"
        hint="Leave empty for the image's default. Quotes work as in a shell."
        error={errors.command}
      >
        <input
          className="input font-mono"
          value={draft.command}
          onChange={(e) => set("command", e.target.value)}
          placeholder='sh -c "while true; do date; sleep 5; done"'
        />
      </Field>
      <Field label="Environment" hint="One NAME=value per line." error={errors.env}>
        <textarea
          className="input min-h-20 font-mono text-xs"
          value={draft.env}
          onChange={(e) => set("env", e.target.value)}
          placeholder={"TZ=UTC\nLOG_LEVEL=info"}
        />
      </Field>
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
              <Field label={`Container port ${i + 1}`} error={errors[`ports.${i}.guestPort`]} className="w-32">
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
              <button
                type="button"
                className="btn mt-6"
                aria-label={`Remove port ${i + 1}`}
                onClick={() =>
                  set(
                    "ports",
                    draft.ports.filter((_, j) => j !== i),
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
            onClick={() => set("ports", [...draft.ports, { hostPort: "", guestPort: "", protocol: "tcp" }])}
          >
            Add a port
          </button>
          {errors.ports && <p className="text-xs text-red-600 dark:text-red-400">{errors.ports}</p>}
        </div>
      </fieldset>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Working directory" error={errors.workingDir}>
          <input
            className="input font-mono"
            value={draft.workingDir}
            onChange={(e) => set("workingDir", e.target.value)}
          />
        </Field>
        <Field label="Restart policy" error={errors.restartPolicy}>
          <select
            className="input"
            value={draft.restartPolicy}
            onChange={(e) => set("restartPolicy", e.target.value as Draft["restartPolicy"])}
          >
            <option value="">Default</option>
            <option value="no">Never</option>
            <option value="on-failure">On failure</option>
            <option value="always">Always</option>
          </select>
        </Field>
      </div>
    </div>
  );
}
