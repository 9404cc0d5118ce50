"use client";
// Images of the chosen kind from the library, as a radio list.
import Link from "next/link";
import type { GuestKind, Image } from "@/server/contract";
import { formatBytes } from "../ui/format";

export function ImagePicker({
  images,
  kind,
  value,
  onChange,
  error,
  loadError,
}: {
  images: Image[] | null;
  kind: GuestKind;
  value: string;
  onChange: (id: string) => void;
  error?: string;
  loadError: string | null;
}) {
  const list = images?.filter((i) => i.kind === kind) ?? [];
  return (
    <fieldset aria-describedby={error ? "image-error" : undefined}>
      <legend className="mb-2 text-sm font-medium">Image</legend>
      {loadError && (
        <p role="alert" className="text-sm text-red-600">
          Could not load images: {loadError}
        </p>
      )}
      {images === null && !loadError && <p className="muted text-sm">Loading images…</p>}
      {images !== null && list.length === 0 && (
        <p className="muted text-sm">
          No {kind === "vm" ? "VM" : "container"} images yet.{" "}
          <Link href="/images#upload" className="text-blue-600 underline">
            Upload one
          </Link>
          .
        </p>
      )}
      <div className="grid max-h-72 gap-1.5 overflow-y-auto">
        {list.map((img) => (
          <label
            key={img.id}
            className={`flex cursor-pointer items-center gap-3 rounded-md border px-3 py-2 text-sm has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-blue-500 ${
              value === img.id
                ? "border-blue-500 bg-blue-50 dark:bg-blue-950/40"
                : "border-zinc-200 hover:border-zinc-400 dark:border-zinc-700"
            }`}
          >
            <input
              type="radio"
              name="image"
              value={img.id}
              checked={value === img.id}
              onChange={() => onChange(img.id)}
            />
            <span className="flex-1 font-medium">{img.name}</span>
            <span className="chip">{img.format}</span>
            <span className="muted w-20 text-right text-xs">{img.sizeBytes ? formatBytes(img.sizeBytes) : ""}</span>
          </label>
        ))}
      </div>
      {error && (
        <p id="image-error" className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </fieldset>
  );
}
