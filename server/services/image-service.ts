// The image library: the offline demo images, uploads (qcow2, raw, ISO, container archives),
// and resolution of an image id to files for a driver.
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { z } from "zod";
import type { GuestKind } from "../contract/guest";
import type { DiskFormat, Image, UploadFormat } from "../contract/image";
import { ImageFormat, uploadFormatKind } from "../contract/image";
import type { Db } from "../db/client";
import type { DiskInspectCapable, ResolvedImage } from "../domain/driver";
import { AppError, notFound } from "../domain/errors";
import { assertFreeSpace, FREE_SPACE_CHECK_BYTES } from "../domain/free-space";
import type { ContainerImageImporter } from "../domain/images";

const DemoManifest = z.object({
  version: z.number(),
  container: z.object({ rootfs: z.string(), config: z.string() }),
  vm: z.object({ kernel: z.string(), initrd: z.string(), disk: z.string(), cmdline: z.string() }),
});

export const DEMO_VM_IMAGE = "demo-vm";
export const DEMO_CONTAINER_IMAGE = "demo-busybox";

type Row = Awaited<ReturnType<Db["image"]["findFirstOrThrow"]>>;

/** What uploads and imports may take from the disk. */
export interface UploadLimits {
  /** Bytes one upload may send (TANDEM_MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Bytes one container archive may unpack to, staging and layers together. */
  maxUnpackedBytes: number;
  /** Free space that must remain on the data directory's file system (the database's reserve). */
  diskReserveBytes: number;
}

export class ImageService {
  private readonly maxUploadBytes: number;

  constructor(
    private readonly db: Db,
    private readonly storeDir: string,
    private readonly limits: UploadLimits,
    private readonly containerImporter: ContainerImageImporter | null,
    /** The VM backend's check of disk uploads (backing files, data files, real format). */
    private readonly diskInspector: DiskInspectCapable | null = null,
  ) {
    this.maxUploadBytes = limits.maxUploadBytes;
  }

  async list(): Promise<Image[]> {
    const rows = await this.db.image.findMany({ orderBy: { createdAt: "asc" } });
    return rows.map(toImage);
  }

  async get(id: string): Promise<Image> {
    const row = await this.db.image.findUnique({ where: { id } });
    if (!row) throw notFound("image", id);
    return toImage(row);
  }

  async resolve(id: string): Promise<ResolvedImage> {
    const row = await this.db.image.findUnique({ where: { id } });
    if (!row) throw new AppError("VALIDATION", `image '${id}' does not exist; GET /api/v1/images lists them`);
    return {
      id: row.id,
      kind: row.kind as GuestKind,
      format: row.format,
      path: row.path,
      meta: JSON.parse(row.meta) as Record<string, unknown>,
    };
  }

  /**
   * Registers the offline demo images built by scripts/host/build-demo-images.sh. With no
   * manifest (fake-driver runs), placeholders keep the UI usable; they point at no files.
   */
  async registerDemoImages(demoDir: string): Promise<void> {
    const manifestPath = path.join(demoDir, "manifest.json");
    let manifest: z.infer<typeof DemoManifest> | null = null;
    try {
      manifest = DemoManifest.parse(JSON.parse(await readFile(manifestPath, "utf8")));
    } catch {
      manifest = null;
    }
    const abs = (p: string) => path.join(demoDir, p);
    if (manifest) {
      const vm = manifest.vm;
      const disk = abs(vm.disk);
      const vmSize = (await stat(disk)).size;
      await this.upsert(DEMO_VM_IMAGE, "vm", "demo-kernel", disk, vmSize, "demo", {
        kernel: abs(vm.kernel),
        initrd: abs(vm.initrd),
        disk,
        cmdline: vm.cmdline,
        version: manifest.version,
      });
      const existing = await this.db.image.findUnique({ where: { id: DEMO_CONTAINER_IMAGE } });
      const stamp = `${manifest.version}`;
      if (this.containerImporter && (!existing || JSON.parse(existing.meta).demoVersion !== stamp)) {
        const config = JSON.parse(await readFile(abs(manifest.container.config), "utf8")) as Record<string, unknown>;
        const stored = await this.containerImporter.importRootfs(abs(manifest.container.rootfs), config);
        await this.upsert(DEMO_CONTAINER_IMAGE, "container", "oci", stored.path, stored.sizeBytes, "demo", {
          ...stored.meta,
          demoVersion: stamp,
        });
      }
    } else {
      for (const [id, kind, format] of [
        [DEMO_VM_IMAGE, "vm", "demo-kernel"],
        [DEMO_CONTAINER_IMAGE, "container", "oci"],
      ] as const) {
        if (!(await this.db.image.findUnique({ where: { id } }))) {
          await this.upsert(id, kind, format, "", 0, "placeholder", {});
        }
      }
    }
  }

  /**
   * Streams an upload into the store, enforcing the size limit and the disk's reserve before it
   * is accepted (Content-Length) and while it arrives; a refused upload leaves no file behind.
   */
  async upload(
    body: ReadableStream<Uint8Array> | null,
    opts: {
      name: string;
      kind: GuestKind;
      format: UploadFormat;
      declaredBytes?: number;
    },
  ): Promise<Image> {
    if (!body) throw new AppError("BAD_REQUEST", "the request has no body; send the image file as the body");
    if (opts.declaredBytes !== undefined && opts.declaredBytes > this.maxUploadBytes) {
      throw new AppError("PAYLOAD_TOO_LARGE", `the upload is larger than the ${this.maxUploadBytes} byte limit`);
    }
    const containerFormat = uploadFormatKind[opts.format] === "container";
    if (uploadFormatKind[opts.format] !== opts.kind) {
      throw new AppError("VALIDATION", `format ${opts.format} is not a ${opts.kind} image format`);
    }
    if (await this.db.image.findUnique({ where: { name: opts.name } })) {
      throw new AppError("CONFLICT", `an image named '${opts.name}' already exists`);
    }
    const id = randomUUID();
    const uploads = path.join(this.storeDir, "uploads");
    await ensureDir(uploads);
    const reserve = this.limits.diskReserveBytes;
    assertFreeSpace(uploads, opts.declaredBytes ?? 0, reserve, "the upload");
    // The stored file name is our own id, never the user's name: nothing can point outside.
    const tmp = path.join(uploads, `${id}.part`);
    let received = 0;
    let unchecked = 0;
    const limit = this.maxUploadBytes;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        received += chunk.length;
        if (received > limit)
          return cb(new AppError("PAYLOAD_TOO_LARGE", `the upload is larger than the ${limit} byte limit`));
        // A body without Content-Length (or a disk others fill meanwhile): ask again as it grows.
        unchecked += chunk.length;
        if (unchecked >= FREE_SPACE_CHECK_BYTES) {
          try {
            assertFreeSpace(uploads, unchecked, reserve, "the upload");
          } catch (e) {
            return cb(e as Error);
          }
          unchecked = 0;
        }
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(body as WebReadableStream), counter, createWriteStream(tmp));
      if (received === 0) throw new AppError("BAD_REQUEST", "the uploaded file is empty");
      if (containerFormat) {
        if (!this.containerImporter) throw new AppError("BACKEND_UNAVAILABLE", "the container backend is not enabled");
        const stored = await this.containerImporter.importArchive(tmp, {
          maxUnpackedBytes: this.limits.maxUnpackedBytes,
          diskReserveBytes: reserve,
        });
        await rm(tmp, { force: true });
        return toImage(
          await this.upsert(
            id,
            "container",
            "oci",
            stored.path,
            stored.sizeBytes,
            "upload",
            { ...stored.meta, name: opts.name },
            opts.name,
          ),
        );
      }
      await this.diskInspector?.inspectDiskImage(tmp, opts.format as DiskFormat);
      const final = path.join(uploads, `${id}.${opts.format}`);
      await rename(tmp, final);
      return toImage(await this.upsert(id, "vm", opts.format, final, received, "upload", {}, opts.name));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    const row = await this.db.image.findUnique({ where: { id } });
    if (!row) throw notFound("image", id);
    if (row.source === "demo" || row.source === "placeholder") {
      throw new AppError("CONFLICT", "the demo images are built in and cannot be deleted");
    }
    await this.db.image.delete({ where: { id } });
    if (row.path.startsWith(path.join(this.storeDir, "uploads") + path.sep)) await rm(row.path, { force: true });
  }

  private upsert(
    id: string,
    kind: GuestKind,
    format: string,
    filePath: string,
    sizeBytes: number,
    source: string,
    meta: Record<string, unknown>,
    name = id,
  ) {
    const data = {
      name,
      kind,
      format,
      path: filePath,
      sizeBytes: BigInt(sizeBytes),
      source,
      meta: JSON.stringify(meta),
    };
    return this.db.image.upsert({ where: { id }, create: { id, ...data }, update: data });
  }
}

/**
 * mkdir -p that reports the real reason: Node's recursive mkdir answers ENOENT on a read-only
 * file system; creating the first missing level alone yields EROFS (or EACCES, ENOSPC).
 */
async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    let missing = dir;
    while (path.dirname(missing) !== missing && !(await stat(path.dirname(missing)).catch(() => null))) {
      missing = path.dirname(missing);
    }
    await mkdir(missing);
    throw e;
  }
}

function toImage(r: Row): Image {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as GuestKind,
    format: ImageFormat.parse(r.format),
    sizeBytes: Number(r.sizeBytes),
    source: r.source,
    createdAt: r.createdAt.toISOString(),
  };
}
