// How an image directory in the store is laid out and turned into overlay lower dirs.
// `${store}/images/<id>/image.json` lists diffIDs of `${store}/layers/<hex>/` (bottom first).
// A directory that is simply a root file system (or holds `rootfs/`) is accepted too: that is
// what the demo-image script produces.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ImageConfig } from "./spec";

export const ImageManifest = z.object({
  version: z.literal(1),
  id: z.string(),
  /** diffIDs, bottom layer first. */
  layers: z.array(z.string().regex(/^sha256:[0-9a-f]{64}$/)),
  config: ImageConfig,
  refs: z.array(z.string()),
  createdAt: z.string(),
  sizeBytes: z.number(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

export function layerDir(storeDir: string, diffId: string): string {
  return path.join(storeDir, "layers", diffId.replace(/^sha256:/, ""));
}

export interface ImageLayers {
  /** Overlay lower dirs, top layer first. */
  lowerDirs: string[];
  config: ImageConfig;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function resolveImageLayers(imageDir: string, meta: Record<string, unknown>): ImageLayers {
  const manifestFile = path.join(imageDir, "image.json");
  if (existsSync(manifestFile)) {
    const m = ImageManifest.parse(JSON.parse(readFileSync(manifestFile, "utf8")));
    const store = path.resolve(imageDir, "..", "..");
    const dirs = m.layers.map((l) => layerDir(store, l));
    for (const d of dirs) if (!isDir(d)) throw new Error(`image layer ${d} is missing from the store`);
    return { lowerDirs: dirs.reverse(), config: m.config };
  }
  const config = ImageConfig.safeParse(meta).success ? ImageConfig.parse(meta) : {};
  if (isDir(path.join(imageDir, "rootfs"))) return { lowerDirs: [path.join(imageDir, "rootfs")], config };
  if (isDir(path.join(imageDir, "bin")) || isDir(path.join(imageDir, "etc"))) return { lowerDirs: [imageDir], config };
  throw new Error(`'${imageDir}' is neither an image in the store nor a root file system`);
}
