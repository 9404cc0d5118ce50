// Per-VM disk files with qemu-img: copy-on-write overlays over a base image (demo and cloud
// images), blank disks for installs, and virtual-size reads. Arguments go to execFile as an
// array (no shell), paths are always absolute files Tandem chose, and every image's format is
// passed explicitly (-f/-F): nothing is ever probed (see disk-inspect.ts for why). A qcow2's
// virtual size is read from its header, without a process.
import { execFile, spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export class QemuImgError extends Error {
  override readonly name = "QemuImgError";
}

async function qemuImg(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run("qemu-img", args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new QemuImgError(`qemu-img ${args[0]} failed: ${(err.stderr || err.message || String(e)).trim()}`);
  }
}

/**
 * The virtual size in a qcow2 header (magic "QFI\xfb", version 2 or 3, size as a big-endian u64
 * at byte 24); null for anything else. A 32-byte read instead of a qemu-img process (~20 ms).
 */
export async function qcow2HeaderSize(file: string): Promise<number | null> {
  const fh = await open(file, "r");
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    if (bytesRead < 32 || head.readUInt32BE(0) !== 0x514649fb) return null;
    const version = head.readUInt32BE(4);
    if (version !== 2 && version !== 3) return null;
    const size = head.readBigUInt64BE(24);
    return size > 0n && size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(size) : null;
  } finally {
    await fh.close();
  }
}

/** The guest-visible size of a disk; the format is always given, never probed. */
export async function virtualSize(file: string, format: ImageFormat): Promise<number> {
  if (format === "qcow2") {
    const size = await qcow2HeaderSize(file).catch(() => null);
    if (size !== null) return size;
  }
  const out = await qemuImg(["info", "--output=json", "-f", format, file]);
  const info = JSON.parse(out) as { "virtual-size"?: number };
  if (typeof info["virtual-size"] !== "number") throw new QemuImgError(`qemu-img info gave no size for ${file}`);
  return info["virtual-size"];
}

/** One layer below a disk in its backing chain. */
export interface BackingLayer {
  path: string;
  format: ImageFormat;
}

/**
 * The layers below `file` in its backing chain (a Tandem overlay's image, a linked clone's
 * source disk and its image), top first. Only for images Tandem made or admitted: each layer's
 * backing format is the one recorded in its header (Tandem always records it), so nothing is
 * probed.
 */
export async function backingChain(file: string, format: ImageFormat): Promise<BackingLayer[]> {
  const out = await qemuImg(["info", "--backing-chain", "--output=json", "-U", "-f", format, file]);
  const chain = JSON.parse(out) as { filename?: unknown; format?: unknown }[];
  return chain.slice(1).map((x) => {
    if (typeof x.filename !== "string" || !x.filename.startsWith("/") || typeof x.format !== "string") {
      throw new QemuImgError(`the backing chain of ${file} names a layer Tandem cannot use`);
    }
    if (!isImageFormat(x.format)) throw new QemuImgError(`a backing layer of ${file} is ${x.format}`);
    return { path: x.filename, format: x.format };
  });
}

/** Image formats a disk may have to be a clone's source (qemu-img reads them all). */
export const CLONABLE_FORMATS = ["qcow2", "raw", "qed", "vmdk", "vdi", "vhdx", "vpc"] as const;
export type ImageFormat = (typeof CLONABLE_FORMATS)[number];
export const isImageFormat = (f: string | null): f is ImageFormat =>
  f !== null && (CLONABLE_FORMATS as readonly string[]).includes(f);

/**
 * A qcow2 overlay whose backing file is `base`; never writes to `base`. With `sizeBytes` larger
 * than the base the guest sees a bigger disk (it grows its partition itself, as cloud images do).
 */
export async function createOverlay(
  file: string,
  base: string,
  baseFormat: ImageFormat,
  sizeBytes?: number,
): Promise<void> {
  const args = ["create", "-q", "-f", "qcow2", "-b", base, "-F", baseFormat, file];
  if (sizeBytes !== undefined) {
    const baseSize = await virtualSize(base, baseFormat);
    if (sizeBytes > baseSize) args.push(String(sizeBytes));
  }
  await qemuImg(args);
}

export async function createBlank(file: string, sizeBytes: number): Promise<void> {
  await qemuImg(["create", "-q", "-f", "qcow2", file, String(sizeBytes)]);
}

/** qemu-img convert -p prints "    (42.00/100%)\r": the last percentage in a chunk, or null. */
export function parseConvertProgress(chunk: string): number | null {
  let last: number | null = null;
  for (const m of chunk.matchAll(/\((\d+(?:\.\d+)?)\/100%\)/g)) last = Number(m[1]);
  return last === null || !Number.isFinite(last) ? null : Math.min(100, Math.max(0, last));
}

/**
 * Full, independent qcow2 copy of `src` (its whole backing chain flattened): a clone that does
 * not depend on the source any more. `onProgress` gets 0–100 as qemu-img reports it.
 */
export function copyImage(
  src: string,
  srcFormat: ImageFormat,
  dest: string,
  onProgress: (percent: number) => void = () => undefined,
  timeoutMs = 60 * 60_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("qemu-img", ["convert", "-p", "-f", srcFormat, "-O", "qcow2", src, dest], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (d: string) => {
      const p = parseConvertProgress(d);
      if (p !== null) onProgress(p);
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new QemuImgError(`qemu-img convert failed: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new QemuImgError(
            `qemu-img convert failed: ${stderr.trim() || (signal ? `killed by ${signal}` : `exit code ${code}`)}`,
          ),
        );
    });
  });
}
