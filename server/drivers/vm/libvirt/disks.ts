// Per-VM disk files with qemu-img: copy-on-write overlays over a base image (demo and cloud
// images), blank disks for installs, and virtual-size reads. Arguments go to execFile as an
// array (no shell), and paths are always absolute files Tandem chose.
import { execFile } from "node:child_process";
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

export async function virtualSize(file: string, format?: "qcow2" | "raw"): Promise<number> {
  const out = await qemuImg(["info", "--output=json", ...(format ? ["-f", format] : []), file]);
  const info = JSON.parse(out) as { "virtual-size"?: number };
  if (typeof info["virtual-size"] !== "number") throw new QemuImgError(`qemu-img info gave no size for ${file}`);
  return info["virtual-size"];
}

/**
 * A qcow2 overlay whose backing file is `base`; never writes to `base`. With `sizeBytes` larger
 * than the base the guest sees a bigger disk (it grows its partition itself, as cloud images do).
 */
export async function createOverlay(
  file: string,
  base: string,
  baseFormat: "qcow2" | "raw",
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

/** Full, independent copy (a clone that does not depend on the source any more). */
export async function copyImage(src: string, srcFormat: "qcow2" | "raw", dest: string): Promise<void> {
  await qemuImg(["convert", "-q", "-f", srcFormat, "-O", "qcow2", src, dest], 30 * 60_000);
}
