// What a VM disk image names besides itself. A qcow2 file can point QEMU and qemu-img at other
// files — a backing file, an external data file, a `json:` pseudo-filename — which they open with
// their own rights: an upload made with `qemu-img create -b /dev/sda` would hand the host's disk
// to a guest. Every disk image Tandem admits is read here with `qemu-img info --output=json`
// under CPU, address-space and wall-clock limits (as OpenStack does: a crafted header must not
// make the inspection itself the attack) and refused unless it is a standalone image of the
// declared format. Afterwards formats are always passed explicitly, so nothing is probed again.
import { execFile } from "node:child_process";
import type { DiskFormat } from "../../../contract/image";
import { AppError } from "../../../domain/errors";

export type DeclaredDiskFormat = DiskFormat;

export interface DiskFacts {
  /** The format qemu-img found (an ISO is a raw image to QEMU). */
  format: "qcow2" | "raw";
  virtualBytes: number;
}

export interface InspectLimits {
  addressSpaceBytes: number;
  cpuSeconds: number;
  wallMs: number;
}

/** Limits for one `qemu-img info`: OpenStack's (1 GiB of address space, 30 s of CPU) plus a wall clock. */
export const INSPECT_LIMITS: InspectLimits = { addressSpaceBytes: 1 << 30, cpuSeconds: 30, wallMs: 60_000 };

function qemuImgInfo(file: string, limits: InspectLimits): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "prlimit",
      [
        `--as=${limits.addressSpaceBytes}`,
        `--cpu=${limits.cpuSeconds}`,
        "--",
        "qemu-img",
        "info",
        "--output=json",
        // No -f: the point is to learn what the file really is. qemu-img info never opens a
        // backing file (it reads only the name); the limits bound what a data file could do.
        file,
      ],
      { timeout: limits.wallMs, killSignal: "SIGKILL", maxBuffer: 1 << 20, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
        if (e.code === "ENOENT")
          return reject(new AppError("BACKEND_UNAVAILABLE", "prlimit or qemu-img is not installed"));
        const why = e.killed || e.signal ? "it took too long or too much memory to read" : String(stderr || e.message);
        // qemu-img names the file by its path on the host: keep that out of the message.
        reject(new Error(why.split(file).join("the image").trim()));
      },
    );
  });
}

/** The refusal for one finding, in words an uploader can act on. */
const refuse = (what: string) =>
  new AppError(
    "VALIDATION",
    `the disk image ${what}; upload a standalone image (\`qemu-img convert -O qcow2 in out.qcow2\` makes one)`,
  );

/**
 * Checks the file Tandem is about to keep or use as a VM disk image and returns what it is.
 * Throws AppError VALIDATION when it is not a readable, standalone image of `declared`.
 */
export async function inspectDiskImage(
  file: string,
  declared: DeclaredDiskFormat,
  limits: InspectLimits = INSPECT_LIMITS,
): Promise<DiskFacts> {
  let out: string;
  try {
    out = await qemuImgInfo(file, limits);
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(
      "VALIDATION",
      `the file is not a readable ${declared} disk image: ${(e as Error).message.slice(0, 300)}`,
    );
  }
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(out) as Record<string, unknown>;
  } catch {
    throw new AppError("VALIDATION", "qemu-img could not describe the file");
  }
  return judge(info, declared, out);
}

/** The decision on qemu-img's description (pure; `raw` is its JSON text, searched for `json:`). */
export function judge(
  info: Record<string, unknown>,
  declared: DeclaredDiskFormat,
  raw = JSON.stringify(info),
): DiskFacts {
  const specific = (info["format-specific"] as { data?: Record<string, unknown> } | undefined)?.data ?? {};
  if (info["backing-filename"] !== undefined || info["full-backing-filename"] !== undefined) {
    throw refuse("names a backing file (another file QEMU would read from)");
  }
  if (specific["data-file"] !== undefined || specific["data-file-raw"] !== undefined) {
    throw refuse("names an external data file (another file QEMU would read and write)");
  }
  if (/"json:/.test(raw)) throw refuse("names a json: pseudo-file");
  const format = info.format;
  const want = declared === "qcow2" ? "qcow2" : "raw";
  if (format !== want) {
    throw new AppError(
      "VALIDATION",
      `the file is a ${typeof format === "string" ? format : "unknown"} image, not ${declared}` +
        (declared === "qcow2" ? "" : " (upload it with its real format)"),
    );
  }
  if (info.encrypted === true) throw refuse("is encrypted (Tandem has no key for it)");
  if (specific.corrupt === true) throw refuse("is marked corrupt (`qemu-img check -r all` may repair it)");
  const size = info["virtual-size"];
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size <= 0) {
    throw new AppError("VALIDATION", "the disk image has no usable size");
  }
  return { format: want, virtualBytes: size };
}
