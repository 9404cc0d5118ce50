"use client";
// The image library: what guests can be created from, uploads, and deletion.
import { useEffect, useState } from "react";
import type { Image } from "@/server/contract";
import { errorMessage } from "../api/client";
import { deleteImage, listImages } from "../api/images";
import { useHasRole } from "../session-provider";
import { ConfirmDialog } from "../ui/dialog";
import { formatBytes, formatDateTime } from "../ui/format";
import { KindIcon, TrashIcon } from "../ui/icons";
import { useNotify } from "../ui/toaster";
import { UploadForm } from "./upload-form";

const builtIn = (i: Image) => i.source === "demo" || i.source === "placeholder";

export function ImagesPage() {
  const canOperate = useHasRole("operator");
  const notify = useNotify();
  const [images, setImages] = useState<Image[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState<Image | null>(null);
  useEffect(() => {
    listImages().then(setImages, (e) => setError(errorMessage(e)));
  }, []);

  async function remove() {
    if (!pending) return;
    try {
      await deleteImage(pending.id);
      setImages((l) => l?.filter((i) => i.id !== pending.id) ?? null);
      notify(`Deleted ${pending.name}`, "success");
    } catch (e) {
      notify(`Could not delete ${pending.name}: ${errorMessage(e)}`, "error");
    }
    setPending(null);
  }

  return (
    <div className="space-y-4">
      <h1 className="text-lg font-semibold">Images</h1>
      {canOperate && <UploadForm onUploaded={(img) => setImages((l) => [...(l ?? []), img])} />}
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      {images === null && !error && <p className="muted text-sm">Loading…</p>}
      {images && (
        <div className="card overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="sr-only">Image library</caption>
            <thead className="muted bg-zinc-50 text-left text-xs dark:bg-zinc-900/60">
              <tr>
                <th className="px-3 py-2">Name</th>
                <th className="px-3 py-2">Kind</th>
                <th className="px-3 py-2">Format</th>
                <th className="px-3 py-2 text-right">Size</th>
                <th className="hidden px-3 py-2 md:table-cell">Source</th>
                <th className="hidden px-3 py-2 md:table-cell">Added</th>
                <th className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {images.map((img) => (
                <tr key={img.id} className="border-t border-zinc-100 dark:border-zinc-800">
                  <td className="px-3 py-2 font-medium">{img.name}</td>
                  <td className="px-3 py-2">
                    <span className="inline-flex items-center gap-1.5">
                      <KindIcon kind={img.kind} /> {img.kind === "vm" ? "VM" : "Container"}
                    </span>
                  </td>
                  <td className="px-3 py-2">
                    <span className="chip">{img.format}</span>
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums">
                    {img.sizeBytes ? formatBytes(img.sizeBytes) : "—"}
                  </td>
                  <td className="muted hidden px-3 py-2 md:table-cell">{img.source}</td>
                  <td className="muted hidden px-3 py-2 md:table-cell">{formatDateTime(img.createdAt)}</td>
                  <td className="px-3 py-2 text-right">
                    {canOperate && (
                      <button
                        type="button"
                        className="btn-icon"
                        aria-label={`Delete image ${img.name}`}
                        title={builtIn(img) ? "Built-in images cannot be deleted" : "Delete"}
                        disabled={builtIn(img)}
                        onClick={() => setPending(img)}
                      >
                        <TrashIcon />
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={pending !== null}
        title={`Delete image ${pending?.name}?`}
        confirmLabel="Delete"
        danger
        onConfirm={remove}
        onClose={() => setPending(null)}
      >
        <p>Guests already created from it keep working.</p>
      </ConfirmDialog>
    </div>
  );
}
