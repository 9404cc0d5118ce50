// The content-addressed OCI image store under `${dataDir}/images/oci/`:
//   layers/<diffID hex>/        one unpacked layer (an overlay lower dir), shared by images
//   images/<config hex>/image.json   config + ordered diffIDs + refs (ImageManifest)
//   tmp/                        staging; anything here after a crash is garbage
// Layers are unpacked into tmp and renamed into place only when complete and their digest is
// known, so a half-unpacked layer is never visible.
import { spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import type { ResolvedImage } from "../../../domain/driver";
import { ImageManifest, layerDir } from "./image-layout";
import { LayerExtractor, unpackLayer, type UnpackResult } from "./layer-unpack";
import type { Logger } from "../../../domain/logger";
import { silentLogger } from "../../../domain/logger";
import { ImageConfig } from "./spec";
import { readTar } from "./tar";
import type { UnpackBudget } from "./unpack-budget";

export interface StoredImage {
  /** sha256:<config digest>. */
  id: string;
  dir: string;
  manifest: ImageManifest;
}

export class ImageStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ImageStoreError";
  }
}

export class OciImageStore {
  readonly dir: string;
  private readonly log: Logger;
  private readonly layerLocks = new Map<string, Promise<unknown>>();

  constructor(dataDir: string, logger: Logger = silentLogger) {
    this.dir = path.join(dataDir, "images", "oci");
    this.log = logger;
  }

  async init(): Promise<void> {
    for (const d of ["layers", "images", "tmp"]) await fs.mkdir(path.join(this.dir, d), { recursive: true });
    // Staging left by a crash is never referenced.
    for (const e of readdirSync(path.join(this.dir, "tmp")))
      await fs.rm(path.join(this.dir, "tmp", e), { recursive: true, force: true });
  }

  async tmpDir(): Promise<string> {
    const d = path.join(this.dir, "tmp", randomUUID());
    await fs.mkdir(d, { recursive: true });
    return d;
  }

  list(): StoredImage[] {
    const root = path.join(this.dir, "images");
    if (!existsSync(root)) return [];
    const out: StoredImage[] = [];
    for (const hex of readdirSync(root)) {
      try {
        out.push(this.get(`sha256:${hex}`));
      } catch (e) {
        this.log.warn({ hex, err: String(e) }, "skipping a broken image in the store");
      }
    }
    return out;
  }

  get(id: string): StoredImage {
    const hex = id.replace(/^sha256:/, "");
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new ImageStoreError(`'${id}' is not an image id`);
    const dir = path.join(this.dir, "images", hex);
    const manifest = ImageManifest.parse(JSON.parse(readFileSync(path.join(dir, "image.json"), "utf8")));
    return { id: `sha256:${hex}`, dir, manifest };
  }

  findByRef(ref: string): StoredImage | null {
    return this.list().find((i) => i.manifest.refs.includes(ref)) ?? null;
  }

  resolved(img: StoredImage): ResolvedImage {
    return {
      id: img.id,
      kind: "container",
      format: "oci",
      path: img.dir,
      meta: img.manifest.config as Record<string, unknown>,
    };
  }

  hasLayer(diffId: string): boolean {
    return existsSync(layerDir(this.dir, diffId));
  }

  private async withLayerLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.layerLocks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.layerLocks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  /**
   * Unpacks a layer blob (tar/tar+gzip) into the store. `expectDiffId` (from the image config)
   * and `expectBlob` (from a manifest) are verified; a layer already present is not unpacked again.
   */
  async addLayer(
    file: string,
    expect: { diffId?: string; blobDigest?: string } = {},
    budget?: UnpackBudget,
  ): Promise<UnpackResult | { diffId: string; reused: true }> {
    if (expect.diffId && this.hasLayer(expect.diffId)) return { diffId: expect.diffId, reused: true };
    const staging = path.join(await this.tmpDir(), "layer");
    try {
      const r = await unpackLayer(file, staging, undefined, budget);
      if (expect.blobDigest && expect.blobDigest !== r.blobDigest && expect.blobDigest !== r.diffId) {
        throw new ImageStoreError(`layer digest mismatch: expected ${expect.blobDigest}, got ${r.blobDigest}`);
      }
      if (expect.diffId && expect.diffId !== r.diffId) {
        throw new ImageStoreError(
          `layer diffID mismatch: the config says ${expect.diffId}, the content is ${r.diffId}`,
        );
      }
      await this.withLayerLock(r.diffId, async () => {
        const final = layerDir(this.dir, r.diffId);
        if (existsSync(final)) return;
        await fs.rename(staging, final);
      });
      for (const s of r.skipped) this.log.warn({ layer: r.diffId, entry: s }, "layer entry skipped");
      return r;
    } finally {
      await fs.rm(path.dirname(staging), { recursive: true, force: true });
    }
  }

  /** Records an image whose layers are all in the store; merges refs when it already exists. */
  async writeImage(config: Record<string, unknown>, configBytes: Buffer | null, refs: string[]): Promise<StoredImage> {
    const bytes = configBytes ?? Buffer.from(JSON.stringify(config));
    const hex = createHash("sha256").update(bytes).digest("hex");
    const parsed = ImageConfig.parse(config);
    const rootfs = (config.rootfs ?? {}) as { diff_ids?: unknown };
    const diffIds = Array.isArray(rootfs.diff_ids) ? (rootfs.diff_ids as string[]) : [];
    if (diffIds.length === 0) throw new ImageStoreError("the image config lists no layers (rootfs.diff_ids)");
    for (const d of diffIds) {
      if (!/^sha256:[0-9a-f]{64}$/.test(d)) throw new ImageStoreError(`bad diffID '${d}' in the image config`);
      if (!this.hasLayer(d)) throw new ImageStoreError(`layer ${d} is missing`);
    }
    let size = 0;
    const dir = path.join(this.dir, "images", hex);
    const existing = existsSync(path.join(dir, "image.json")) ? this.get(`sha256:${hex}`).manifest.refs : [];
    // Refs are unique across the store: a new image with the same tag takes it over.
    for (const other of this.list()) {
      if (other.id === `sha256:${hex}`) continue;
      const kept = other.manifest.refs.filter((r) => !refs.includes(r));
      if (kept.length !== other.manifest.refs.length)
        await this.saveManifest(other.dir, { ...other.manifest, refs: kept });
    }
    for (const d of diffIds) size += await duBytes(layerDir(this.dir, d));
    const manifest: ImageManifest = {
      version: 1,
      id: `sha256:${hex}`,
      layers: diffIds,
      config: parsed,
      refs: [...new Set([...existing, ...refs])],
      createdAt: new Date().toISOString(),
      sizeBytes: size,
    };
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "config.json"), bytes);
    await this.saveManifest(dir, manifest);
    return { id: manifest.id, dir, manifest };
  }

  private async saveManifest(dir: string, m: ImageManifest): Promise<void> {
    const tmp = path.join(dir, `image.json.${process.pid}.tmp`);
    await fs.writeFile(tmp, JSON.stringify(m, null, 2));
    await fs.rename(tmp, path.join(dir, "image.json"));
  }

  /**
   * Imports a directory holding a root file system as a one-layer image. The directory is read
   * through `tar` (sorted, numeric owners) so its diffID is reproducible; /dev, /proc and /sys
   * contents are left out (the runtime provides them).
   */
  async importRootfs(
    rootfs: string,
    opts: { ref?: string; config?: Record<string, unknown> } = {},
  ): Promise<StoredImage> {
    const st = await fs.stat(rootfs).catch(() => null);
    if (!st?.isDirectory()) throw new ImageStoreError(`'${rootfs}' is not a directory`);
    const staging = await this.tmpDir();
    const layerFile = path.join(staging, "layer.tar");
    try {
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          "tar",
          [
            "--sort=name",
            "--numeric-owner",
            "--exclude=./dev/*",
            "--exclude=./proc/*",
            "--exclude=./sys/*",
            "-C",
            rootfs,
            "-cf",
            layerFile,
            ".",
          ],
          { stdio: ["ignore", "ignore", "pipe"] },
        );
        let err = "";
        child.stderr.on("data", (b: Buffer) => (err += b.toString()));
        child.on("error", reject);
        child.on("close", (code) =>
          code === 0 ? resolve() : reject(new ImageStoreError(`tar of ${rootfs} failed: ${err.trim()}`)),
        );
      });
      const r = await this.addLayer(layerFile);
      const base = (opts.config ?? {}) as { config?: Record<string, unknown> };
      const config = {
        architecture: goArch(),
        os: "linux",
        ...base,
        config: {
          Env: [`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`],
          Cmd: ["/bin/sh"],
          ...(base.config ?? {}),
        },
        rootfs: { type: "layers", diff_ids: [r.diffId] },
      };
      return await this.writeImage(config, null, opts.ref ? [opts.ref] : []);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  }

  /** Deletes an image and every layer no other image uses. Containers keep their own mounts. */
  async remove(id: string, inUse: (layerDir: string) => boolean = () => false): Promise<void> {
    const img = this.get(id);
    await fs.rm(img.dir, { recursive: true, force: true });
    const used = new Set(this.list().flatMap((i) => i.manifest.layers));
    for (const l of img.manifest.layers) {
      const d = layerDir(this.dir, l);
      if (!used.has(l) && !inUse(d)) await fs.rm(d, { recursive: true, force: true });
    }
  }

  /** Unpacks an outer archive (docker save / OCI layout) into a staging dir with the same checks. */
  async stageArchive(file: string, staging: string, budget?: UnpackBudget): Promise<void> {
    const ex = new LayerExtractor(staging);
    try {
      for await (const { header, body } of readTar(createReadStream(file))) {
        if (header.type === "char" || header.type === "block" || header.type === "fifo") {
          throw new ImageStoreError(`unexpected special file ${header.name} in the image archive`);
        }
        if (header.type === "file") budget?.take(header.size);
        await ex.entry(header, body);
      }
    } finally {
      ex.close();
    }
  }
}

export function goArch(): string {
  const map: Record<string, string> = {
    x64: "amd64",
    arm64: "arm64",
    arm: "arm",
    ppc64: "ppc64le",
    s390x: "s390x",
    riscv64: "riscv64",
  };
  return map[process.arch] ?? process.arch;
}

async function duBytes(dir: string): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += (await fs.lstat(p)).size;
    }
  };
  await walk(dir);
  return total;
}
