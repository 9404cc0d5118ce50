"use client";
// Upload an image file with a live progress bar; guesses kind and format from the file name.
import { useRef, useState, type FormEvent } from "react";
import { ImageName, uploadFormatKind, type Image, type UploadFormat } from "@/server/contract";
import { errorMessage } from "../api/client";
import { uploadImage, type UploadProgress } from "../api/images";
import { Field } from "../ui/field";
import { formatBytes } from "../ui/format";
import { ProgressBar } from "../ui/progress-bar";

/** In the order the picker shows them; which kind each is for is the contract's. */
const formats: { value: UploadFormat; label: string }[] = [
  { value: "qcow2", label: "qcow2 disk image (VM)" },
  { value: "raw", label: "Raw disk image (VM)" },
  { value: "iso", label: "ISO installer (VM)" },
  { value: "docker-archive", label: "docker save archive (container)" },
  { value: "oci", label: "OCI image archive (container)" },
];

export function guessFormat(file: string): UploadFormat {
  const f = file.toLowerCase();
  if (f.endsWith(".qcow2") || f.endsWith(".img")) return "qcow2";
  if (f.endsWith(".iso")) return "iso";
  if (f.endsWith(".raw")) return "raw";
  if (f.includes("oci") && /\.tar(\.gz)?$/.test(f)) return "oci";
  if (/\.tar(\.gz)?$/.test(f)) return "docker-archive";
  return "qcow2";
}

export const nameFromFile = (file: string) =>
  file
    .replace(/\.(qcow2|img|iso|raw|tar|tar\.gz|tgz)$/i, "")
    .replace(/[^a-zA-Z0-9_.:-]/g, "-")
    .replace(/^[^a-zA-Z0-9]+/, "")
    .slice(0, 128);

export function UploadForm({ onUploaded }: { onUploaded: (img: Image) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [format, setFormat] = useState<UploadFormat>("qcow2");
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nameError, setNameError] = useState<string | undefined>();
  const abort = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return setError("choose a file first");
    const n = ImageName.safeParse(name);
    if (!n.success) return setNameError(n.error.issues[0]?.message);
    setNameError(undefined);
    setError(null);
    const kind = uploadFormatKind[format];
    abort.current = new AbortController();
    setProgress({ loaded: 0, total: file.size });
    try {
      const img = await uploadImage(file, { name: n.data, kind, format }, setProgress, abort.current.signal);
      onUploaded(img);
      setFile(null);
      setName("");
      if (input.current) input.current.value = "";
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setProgress(null);
      abort.current = null;
    }
  }

  const pct = progress && progress.total ? (progress.loaded / progress.total) * 100 : 0;
  return (
    <form id="upload" onSubmit={submit} className="card space-y-3 p-4" aria-labelledby="upload-heading">
      <h2 id="upload-heading" className="font-semibold">
        Upload an image
      </h2>
      <fieldset disabled={progress !== null} className="grid gap-3 sm:grid-cols-3">
        <Field label="File" hint="qcow2, raw, ISO, or a docker/OCI tar archive.">
          <input
            ref={input}
            type="file"
            className="input"
            onChange={(e) => {
              const f = e.target.files?.[0] ?? null;
              setFile(f);
              if (f) {
                setFormat(guessFormat(f.name));
                setName((n) => n || nameFromFile(f.name));
              }
            }}
          />
        </Field>
        <Field label="Image name" error={nameError}>
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Format">
          <select className="input" value={format} onChange={(e) => setFormat(e.target.value as UploadFormat)}>
            {formats.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </Field>
      </fieldset>
      {progress && (
        <div className="space-y-1">
          <ProgressBar value={pct} label="Upload progress" />
          <p className="muted text-xs tabular-nums">
            {formatBytes(progress.loaded)} of {formatBytes(progress.total)} ({pct.toFixed(0)}%)
            {pct >= 100 ? " — processing on the server…" : ""}
          </p>
        </div>
      )}
      {error && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
      <div className="flex gap-2">
        <button type="submit" className="btn-primary" disabled={!file || progress !== null}>
          Upload
        </button>
        {progress && (
          <button type="button" className="btn" onClick={() => abort.current?.abort()}>
            Cancel upload
          </button>
        )}
      </div>
    </form>
  );
}
