"use client";
// A list of short tags: type and press Enter or comma to add, Backspace or × to remove.
import { useState } from "react";

export function TagInput({
  value,
  onChange,
  id,
  "aria-describedby": describedBy,
  "aria-invalid": invalid,
}: {
  value: string[];
  onChange: (tags: string[]) => void;
  id?: string;
  "aria-describedby"?: string;
  "aria-invalid"?: boolean;
}) {
  const [draft, setDraft] = useState("");
  const add = (raw: string) => {
    const t = raw.trim();
    if (t && !value.includes(t) && t.length <= 64 && value.length < 32) onChange([...value, t]);
    setDraft("");
  };
  return (
    <div className="input flex flex-wrap items-center gap-1 !py-1.5">
      {value.map((t) => (
        <span key={t} className="chip">
          {t}
          <button
            type="button"
            aria-label={`Remove tag ${t}`}
            className="text-zinc-500 hover:text-zinc-900 dark:hover:text-zinc-100"
            onClick={() => onChange(value.filter((x) => x !== t))}
          >
            ×
          </button>
        </span>
      ))}
      <input
        id={id}
        aria-describedby={describedBy}
        aria-invalid={invalid}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === ",") {
            e.preventDefault();
            add(draft);
          } else if (e.key === "Backspace" && !draft && value.length) onChange(value.slice(0, -1));
        }}
        onBlur={() => draft && add(draft)}
        placeholder={value.length ? "" : "web, prod…"}
        className="min-w-24 flex-1 bg-transparent outline-none"
      />
    </div>
  );
}
