"use client";
// Container settings: command, environment, published ports (or forwards), working directory, restart.
import { Field } from "../ui/field";
import type { Draft, FieldsProps } from "./form-model";
import { PortFields } from "./port-fields";

export function ContainerFields({ draft, set, errors }: FieldsProps) {
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
      <PortFields draft={draft} set={set} errors={errors} />
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
