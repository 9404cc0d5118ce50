"use client";
// The parts the wizard's repeated rows share (disks, volumes, bind mounts, NICs, ports): a path
// typed in mono, a read-only box and the row's Remove button. Each names its row ("bind 2") for
// screen readers, since every row has the same visible labels.
import { Field } from "../ui/field";

/** A path in a text box: a host directory or where something is mounted in the guest. */
export function PathField({
  label,
  error,
  value,
  placeholder,
  onChange,
}: {
  label: string;
  error?: string;
  value: string;
  placeholder: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={label} error={error} className="min-w-44 flex-1">
      <input
        className="input font-mono"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
      />
    </Field>
  );
}

/** Mounted read-only or not; `row` is the row's name for screen readers ("volume 1"). */
export function ReadOnlyBox({
  row,
  checked,
  onChange,
}: {
  row: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label className="mt-7 flex items-center gap-1.5 text-sm">
      <input type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      Read-only<span className="sr-only"> {row}</span>
    </label>
  );
}

/** Removes the row; `row` names it in the button's accessible name ("Remove port 2"). */
export function RemoveRowButton({ row, onRemove }: { row: string; onRemove: () => void }) {
  return (
    <button type="button" className="btn mt-6" aria-label={`Remove ${row}`} onClick={onRemove}>
      Remove
    </button>
  );
}

/** The list without item i. */
export const without = <T,>(list: T[], i: number): T[] => list.filter((_, j) => j !== i);
