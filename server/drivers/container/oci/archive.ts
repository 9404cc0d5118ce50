// Imports `docker save` tarballs and OCI image-layout archives into the store, layer by layer.
// The outer archive is staged with the same refusal rules as layers; every file read from the
// staging dir is resolved and checked to stay inside it (docker save links duplicate layers).
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { AppError } from "../../../domain/errors";
import { goArch, ImageStoreError, type OciImageStore, type StoredImage } from "./image-store";
import { ImageFileError, readImageFileBytes } from "./rootfs-files";
import type { UnpackBudget } from "./unpack-budget";

const DockerManifest = z.array(
  z.object({
    Config: z.string(),
    RepoTags: z.array(z.string()).nullish(),
    Layers: z.array(z.string()),
  }),
);

const Descriptor = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "unsupported digest"),
  size: z.number().optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: z.object({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).optional(),
});
export const OciIndex = z.object({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
  manifests: z.array(Descriptor),
});
export const OciManifest = z.object({
  schemaVersion: z.number(),
  mediaType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
});

async function inside(staging: string, rel: string): Promise<string> {
  const p = path.resolve(staging, rel);
  let real: string;
  try {
    real = await fs.realpath(p);
  } catch {
    throw new ImageStoreError(`the archive does not contain '${rel}'`);
  }
  const root = await fs.realpath(staging);
  if (real !== root && !real.startsWith(root + path.sep))
    throw new ImageStoreError(`'${rel}' points outside the archive`);
  return real;
}

/** Manifests, indexes and configs are a few KiB; registries refuse manifests over 4 MiB. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

async function readJson(staging: string, rel: string): Promise<{ value: unknown; bytes: Buffer }> {
  const real = await inside(staging, rel);
  const root = await fs.realpath(staging);
  // A regular file under the cap, opened beneath the staging dir: a multi-GiB "config" is not
  // read into memory, and a FIFO or device cannot block or feed the read.
  let bytes: Buffer | null;
  try {
    bytes = readImageFileBytes(root, path.relative(root, real) || ".", MAX_JSON_BYTES);
  } catch (e) {
    if (e instanceof ImageFileError) throw new ImageStoreError(`the archive's ${e.message}`);
    throw e;
  }
  if (bytes === null) throw new ImageStoreError(`the archive does not contain '${rel}'`);
  try {
    return { value: JSON.parse(bytes.toString("utf8")), bytes };
  } catch {
    throw new ImageStoreError(`'${rel}' in the archive is not valid JSON`);
  }
}

function diffIdsOf(config: unknown): string[] {
  const ids = (config as { rootfs?: { diff_ids?: unknown } })?.rootfs?.diff_ids;
  if (!Array.isArray(ids) || ids.some((d) => typeof d !== "string")) {
    throw new ImageStoreError("the image config has no rootfs.diff_ids");
  }
  return ids as string[];
}

async function importLayers(
  store: OciImageStore,
  files: string[],
  diffIds: string[],
  blobDigests: (string | undefined)[],
  budget: UnpackBudget | undefined,
): Promise<void> {
  if (files.length !== diffIds.length) {
    throw new ImageStoreError(`the manifest lists ${files.length} layers but the config ${diffIds.length}`);
  }
  for (let i = 0; i < files.length; i++) {
    await store.addLayer(files[i]!, { diffId: diffIds[i], blobDigest: blobDigests[i] }, budget);
  }
}

function blobPath(digest: string): string {
  const [alg, hex] = digest.split(":");
  return path.join("blobs", alg!, hex!);
}

/**
 * Imports every image in the archive; `ref` names the first one when the archive has no tag.
 * `budget` caps what the whole import writes (staging and every layer) and keeps the disk reserve.
 */
export async function importArchive(
  store: OciImageStore,
  file: string,
  opts: { ref?: string; budget?: UnpackBudget } = {},
): Promise<StoredImage[]> {
  const staging = await store.tmpDir();
  try {
    try {
      await store.stageArchive(file, staging, opts.budget);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new ImageStoreError(`cannot read the image archive: ${e instanceof Error ? e.message : String(e)}`);
    }
    const out: StoredImage[] = [];
    if (existsSync(path.join(staging, "manifest.json")) && !existsSync(path.join(staging, "index.json"))) {
      // docker save (legacy layout)
      const parsed = DockerManifest.safeParse((await readJson(staging, "manifest.json")).value);
      if (!parsed.success) throw new ImageStoreError("manifest.json is not a docker save manifest");
      for (const [i, m] of parsed.data.entries()) {
        const { value: config, bytes } = await readJson(staging, m.Config);
        const files = await Promise.all(m.Layers.map((l) => inside(staging, l)));
        await importLayers(store, files, diffIdsOf(config), [], opts.budget);
        const refs = m.RepoTags?.length ? m.RepoTags : i === 0 && opts.ref ? [opts.ref] : [];
        out.push(await store.writeImage(config as Record<string, unknown>, bytes, refs));
      }
      return out;
    }
    if (!existsSync(path.join(staging, "index.json"))) {
      throw new ImageStoreError(
        "not an image archive: neither manifest.json (docker save) nor index.json (OCI layout)",
      );
    }
    const index = OciIndex.safeParse((await readJson(staging, "index.json")).value);
    if (!index.success) throw new ImageStoreError("index.json is not an OCI image index");
    const manifests = await flattenIndex(staging, index.data.manifests);
    for (const [i, { desc, manifest }] of manifests.entries()) {
      const { value: config, bytes } = await readJson(staging, blobPath(manifest.config.digest));
      const files = await Promise.all(manifest.layers.map((l) => inside(staging, blobPath(l.digest))));
      await importLayers(
        store,
        files,
        diffIdsOf(config),
        manifest.layers.map((l) => l.digest),
        opts.budget,
      );
      const name =
        desc.annotations?.["io.containerd.image.name"] ?? desc.annotations?.["org.opencontainers.image.ref.name"];
      const refs =
        name && name.includes(":")
          ? [name]
          : name
            ? [`${opts.ref?.split(":")[0] ?? "image"}:${name}`]
            : i === 0 && opts.ref
              ? [opts.ref]
              : [];
      out.push(
        await store.writeImage(
          config as Record<string, unknown>,
          bytes,
          opts.ref && i === 0 ? [opts.ref, ...refs] : refs,
        ),
      );
    }
    return out;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** Follows nested indexes; picks this host's platform where an index offers several. */
async function flattenIndex(
  staging: string,
  descs: z.infer<typeof Descriptor>[],
  depth = 0,
): Promise<{ desc: z.infer<typeof Descriptor>; manifest: z.infer<typeof OciManifest> }[]> {
  if (depth > 3) throw new ImageStoreError("image index nested too deeply");
  const out: { desc: z.infer<typeof Descriptor>; manifest: z.infer<typeof OciManifest> }[] = [];
  const candidates = descs.filter(
    (d) => !d.platform || (d.platform.os === "linux" && d.platform.architecture === goArch()),
  );
  for (const d of candidates) {
    const { value } = await readJson(staging, blobPath(d.digest));
    const asManifest = OciManifest.safeParse(value);
    if (asManifest.success && (value as { config?: unknown }).config) {
      out.push({ desc: d, manifest: asManifest.data });
      continue;
    }
    const asIndex = OciIndex.safeParse(value);
    if (!asIndex.success) throw new ImageStoreError(`blob ${d.digest} is neither a manifest nor an index`);
    const nested = await flattenIndex(staging, asIndex.data.manifests, depth + 1);
    out.push(
      ...nested.map((n) => ({
        desc: { ...n.desc, annotations: { ...d.annotations, ...n.desc.annotations } },
        manifest: n.manifest,
      })),
    );
  }
  if (out.length === 0 && depth === 0) throw new ImageStoreError(`the archive has no image for linux/${goArch()}`);
  return out;
}
