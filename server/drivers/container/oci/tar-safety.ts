// Pure checks on names found in image tarballs. A layer is refused (not "sanitized") when an
// entry tries to leave the directory it is unpacked into: `..` components, absolute names, or
// hard links pointing outside. Symlink *targets* are free-form (they only resolve inside the
// container), but the extractor never writes through a symlink — see layer-unpack.ts.

export class UnsafeArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnsafeArchiveError";
  }
}

/**
 * Normalizes an entry name to relative path components ("./a//b/" → ["a","b"]). Returns [] for
 * the archive root. Throws for absolute names, `..`, NUL or over-long names.
 */
export function entryComponents(name: string): string[] {
  if (name.includes("\0")) throw new UnsafeArchiveError(`entry name contains NUL: ${JSON.stringify(name)}`);
  if (name.length > 4096) throw new UnsafeArchiveError("entry name longer than 4096 bytes");
  if (name.startsWith("/")) throw new UnsafeArchiveError(`absolute entry name refused: ${name}`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  for (const p of parts) {
    if (p === "..") throw new UnsafeArchiveError(`entry name with '..' refused: ${name}`);
    if (p.length > 255) throw new UnsafeArchiveError(`path component longer than 255 bytes in ${name}`);
  }
  return parts;
}

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_WHITEOUT = ".wh..wh..opq";

export type WhiteoutKind = { kind: "opaque"; dir: string[] } | { kind: "remove"; dir: string[]; name: string } | null;

/** Recognizes AUFS-style whiteout entries of OCI/Docker layers. */
export function whiteoutOf(parts: string[]): WhiteoutKind {
  const base = parts[parts.length - 1];
  if (!base || !base.startsWith(WHITEOUT_PREFIX)) return null;
  const dir = parts.slice(0, -1);
  if (base === OPAQUE_WHITEOUT) return { kind: "opaque", dir };
  const name = base.slice(WHITEOUT_PREFIX.length);
  if (name === "" || name === "." || name === "..")
    throw new UnsafeArchiveError(`malformed whiteout ${parts.join("/")}`);
  return { kind: "remove", dir, name };
}
