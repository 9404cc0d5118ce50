// What a viewer may read of a failure. Task errors are shown to every signed-in user (the activity
// log, pushed to every browser), but a backend's failure carries its stderr, libvirt's and
// crun's messages and host paths (the data directory, image layers, sockets). An AppError
// written for users is shown as it is; anything else (an INTERNAL error, an unexpected
// exception, a message with an absolute host path or several lines of stderr) becomes a clean
// summary plus a short reference, and the full detail goes only to the log under that reference.
import { randomBytes } from "node:crypto";
import { isAppError } from "./errors";

export interface PublicError {
  /** Safe to show to any signed-in user. */
  message: string;
  /** Set when the detail was withheld: the log line carrying the detail has the same `ref`. */
  ref: string | null;
}

/**
 * An absolute path of two or more components: `/var/lib/tandem/vms/x`, `'/tmp/a'`. Not API paths
 * (`/api/v1/images`, a route a message may point users to), not URLs (`http://h/p`), and not a
 * path inside the guest named as such ("the image's /etc/passwd").
 */
const HOST_PATH = /(?<!(?:image's|container's|guest's|VM's) )(?<![\w.~:/-])\/(?!api\/)[\w.@+~-]+(?:\/[\w.@+~-]*)+/;

/** True when text shows something of the host a viewer must not see. */
export function revealsHost(text: string): boolean {
  return HOST_PATH.test(text) || /[\r\n]/.test(text.trim());
}

/**
 * A clean one-line summary: the first line with host paths replaced by "…"; for internal and
 * unexpected errors only its leading clause ("container creation failed: crun: …" → "container
 * creation failed"), since the rest is a backend's own words.
 */
function summaryOf(message: string, internal: boolean): string {
  const line = message.trim().split(/\r?\n/)[0] ?? "";
  let text = line.replace(new RegExp(HOST_PATH.source, "g"), "…");
  if (internal) text = text.split(": ")[0]!;
  text = text.trim();
  if (text.length > 160) text = `${text.slice(0, 159)}…`;
  return text || "internal error";
}

export function newErrorRef(): string {
  return randomBytes(4).toString("hex");
}

/** The viewer-safe form of `e`; when `ref` is set, log the detail with that ref. */
export function publicError(e: unknown): PublicError {
  const message = e instanceof Error ? e.message : String(e);
  if (isAppError(e) && e.code !== "INTERNAL" && !revealsHost(message)) return { message, ref: null };
  const ref = newErrorRef();
  const internal = !isAppError(e) || e.code === "INTERNAL";
  return { message: `${summaryOf(message, internal)} (ref ${ref}; the server log has the details)`, ref };
}
