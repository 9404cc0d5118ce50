// Unpacks one image layer (tar, gzip or zstd where Node has it) into its own directory for use as
// an overlay lower dir. Whiteouts become overlay whiteouts (char 0:0) and opaque markers
// (trusted.overlay.opaque=y). Nothing is ever written through a symlink or outside the target:
// every parent is created or lstat-checked component by component, existing entries are replaced
// rather than followed, and device nodes, `..` and absolute names refuse the whole layer.
// Owners, modes and times go through descriptors opened beneath the layer root (openat2,
// RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS; native/beneath), and a directory's recorded metadata is
// forgotten when a later entry replaces it: a layer that records `x/` 06777 and then makes `x` a
// link to a host file used to chmod that host file in the last pass.
import { createHash } from "node:crypto";
import {
  closeSync,
  constants as fsConstants,
  createReadStream,
  createWriteStream,
  fchmodSync,
  fchownSync,
  futimesSync,
} from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import {
  beneathConstants,
  fchownat,
  isBeneathError,
  openBeneath,
  openRootDir,
  utimensat,
} from "../../../../native/beneath/index";
import { lsetxattr, makeWhiteout } from "../../../../native/conmon/index";
import { readTar, TarFormatError } from "./tar";
import { entryComponents, UnsafeArchiveError, whiteoutOf } from "./tar-safety";
import type { UnpackBudget } from "./unpack-budget";

export interface UnpackLimits {
  maxBytes: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: UnpackLimits = { maxBytes: 64 * 1024 ** 3, maxEntries: 2_000_000 };

export interface UnpackResult {
  /** sha256 of the uncompressed tar stream: the layer's diffID. */
  diffId: string;
  /** sha256 of the bytes as read (compressed): the blob digest. */
  blobDigest: string;
  entries: number;
  bytes: number;
  /** Entries that were not materialized (FIFOs, sockets-like types), with why. */
  skipped: string[];
}

type Source = AsyncIterable<Buffer>;

async function* hashing(
  src: AsyncIterable<Buffer | string>,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<Buffer> {
  for await (const chunk of src) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    hash.update(b);
    yield b;
  }
}

/** Peeks at the magic bytes and returns a decompressed chunk stream. */
export async function decompressed(file: string, blobHash: ReturnType<typeof createHash>): Promise<Source> {
  const fh = await fs.open(file, "r");
  const magic = Buffer.alloc(4);
  await fh.read(magic, 0, 4, 0);
  await fh.close();
  const raw = hashing(createReadStream(file, { highWaterMark: 256 * 1024 }), blobHash);
  if (magic[0] === 0x1f && magic[1] === 0x8b) {
    const gunzip = zlib.createGunzip();
    void pipeline(raw, gunzip).catch((e: unknown) => gunzip.destroy(e as Error));
    return gunzip as unknown as Source;
  }
  if (magic.readUInt32LE(0) === 0xfd2fb528) {
    const z = zlib as unknown as { createZstdDecompress?: () => zlib.Gunzip };
    if (!z.createZstdDecompress) throw new UnsafeArchiveError("zstd-compressed layers need Node ≥ 22.15");
    const dec = z.createZstdDecompress();
    void pipeline(raw, dec).catch((e: unknown) => dec.destroy(e as Error));
    return dec as unknown as Source;
  }
  return raw;
}

/** lstat that returns null for a missing path. */
async function lstatOrNull(p: string) {
  try {
    return await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

interface EntryMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/**
 * Directory metadata waiting for the last pass, as a tree of path components: replacing an
 * entry drops its node and everything recorded below it in one step, however large the layer.
 */
interface DirNode {
  meta: EntryMeta | null;
  children: Map<string, DirNode>;
}

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = fsConstants;

export class LayerExtractor {
  private readonly pending: DirNode = { meta: null, children: new Map() };
  private rootFd: number | null = null;

  constructor(private readonly root: string) {}

  /** The layer root, opened once: every owner, mode and time is applied beneath it. */
  private anchor(): number {
    this.rootFd ??= openRootDir(this.root);
    return this.rootFd;
  }

  /** Closes the layer root; the extractor can be used again (it reopens). */
  close(): void {
    if (this.rootFd !== null) closeSync(this.rootFd);
    this.rootFd = null;
  }

  private remember(parts: string[], meta: EntryMeta): void {
    let node = this.pending;
    for (const p of parts) {
      let next = node.children.get(p);
      if (!next) node.children.set(p, (next = { meta: null, children: new Map() }));
      node = next;
    }
    node.meta = { mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime };
  }

  /** Whatever was at parts is gone: its recorded metadata (and its children's) must never apply. */
  private forget(parts: string[]): void {
    let node: DirNode | undefined = this.pending;
    for (const p of parts.slice(0, -1)) {
      node = node.children.get(p);
      if (!node) return;
    }
    node.children.delete(parts[parts.length - 1]!);
  }

  /** Makes sure every parent of parts exists as a real directory inside root; returns its path. */
  private async parentDir(parts: string[]): Promise<string> {
    let cur = this.root;
    for (const [i, p] of parts.slice(0, -1).entries()) {
      cur = path.join(cur, p);
      const st = await lstatOrNull(cur);
      if (st === null) {
        await mkdirOpen(cur);
      } else if (st.isSymbolicLink()) {
        throw new UnsafeArchiveError(`entry would be written through the symlink ${path.relative(this.root, cur)}`);
      } else if (!st.isDirectory()) {
        // A later layer entry under what an earlier entry made a file: replace it, like tar.
        await fs.rm(cur, { force: true });
        this.forget(parts.slice(0, i + 1));
        await mkdirOpen(cur);
      }
    }
    return cur;
  }

  /** Removes whatever is at target (never following it) unless both are directories. */
  private async clear(target: string, parts: string[], keepDir: boolean): Promise<void> {
    const st = await lstatOrNull(target);
    if (!st) return;
    if (st.isDirectory() && keepDir) return;
    await fs.rm(target, { recursive: true, force: true });
    this.forget(parts);
  }

  /**
   * Owner, times and mode of what is at rel, through a descriptor opened beneath the layer root
   * with no symlink followed anywhere (openat2): a path the layer swapped for a link can never
   * carry them out of the layer. `kind` says what the caller just made there.
   */
  private applyMeta(rel: string, kind: "dir" | "symlink", meta: EntryMeta): void {
    const c = beneathConstants();
    let fd: number;
    try {
      fd = openBeneath(
        this.anchor(),
        rel === "" ? "." : rel,
        kind === "dir" ? O_RDONLY | O_DIRECTORY | O_NOFOLLOW : c.O_PATH | O_NOFOLLOW,
      );
    } catch (e) {
      if (isBeneathError(e, "ELOOP", "EXDEV", "ENOTDIR", "ENOENT")) {
        throw new UnsafeArchiveError(`'${rel}' is no longer the ${kind} the layer made (${e.code})`);
      }
      throw e;
    }
    try {
      if (kind === "dir") {
        fchownSync(fd, meta.uid, meta.gid);
        fchmodSync(fd, meta.mode & 0o7777);
        futimesSync(fd, meta.mtime, meta.mtime);
      } else {
        // An O_PATH fd of the link itself: AT_EMPTY_PATH acts on the link, not its target.
        fchownat(fd, "", meta.uid, meta.gid, c.AT_EMPTY_PATH);
        utimensat(fd, "", meta.mtime, meta.mtime, c.AT_EMPTY_PATH);
      }
    } finally {
      closeSync(fd);
    }
  }

  async entry(
    header: { name: string; linkname: string; type: string; mode: number; uid: number; gid: number; mtime: number },
    body: AsyncIterable<Buffer>,
  ): Promise<"ok" | string> {
    const parts = entryComponents(header.name);
    if (parts.length === 0) {
      if (header.type === "dir") this.remember([], header);
      return "ok";
    }
    const wh = whiteoutOf(parts);
    if (wh) {
      const dir = await this.parentDir([...wh.dir, "x"]);
      if (wh.kind === "opaque") lsetxattr(dir, "trusted.overlay.opaque", "y");
      else {
        const target = path.join(dir, wh.name);
        await this.clear(target, [...wh.dir, wh.name], false);
        makeWhiteout(target);
      }
      return "ok";
    }
    await this.parentDir(parts);
    const target = path.join(this.root, ...parts);
    const rel = parts.join("/");
    switch (header.type) {
      case "dir": {
        await this.clear(target, parts, true);
        if (!(await lstatOrNull(target))) await mkdirOpen(target);
        this.remember(parts, header);
        return "ok";
      }
      case "file": {
        await this.clear(target, parts, false);
        // O_EXCL: the path was just cleared; anything there now is a race we refuse. Beneath the
        // root with no symlink followed, so the file can only be created inside the layer.
        const fd = openBeneath(this.anchor(), rel, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
        try {
          await pipeline(body, createWriteStream("", { fd, autoClose: false }));
          fchownSync(fd, header.uid, header.gid);
          fchmodSync(fd, header.mode & 0o7777);
          futimesSync(fd, header.mtime, header.mtime);
        } finally {
          closeSync(fd);
        }
        return "ok";
      }
      case "symlink": {
        await this.clear(target, parts, false);
        await fs.symlink(header.linkname, target);
        this.applyMeta(rel, "symlink", header);
        return "ok";
      }
      case "hardlink": {
        const linkParts = entryComponents(header.linkname);
        if (linkParts.length === 0) throw new UnsafeArchiveError(`hard link to the archive root: ${header.name}`);
        const linkParent = await this.checkedExistingParent(linkParts);
        const source = path.join(linkParent, linkParts[linkParts.length - 1]!);
        const st = await lstatOrNull(source);
        if (!st || st.isDirectory()) {
          throw new UnsafeArchiveError(
            `hard link ${header.name} points at '${header.linkname}', which this layer does not hold`,
          );
        }
        await this.clear(target, parts, false);
        await fs.link(source, target);
        return "ok";
      }
      case "char":
      case "block":
        throw new UnsafeArchiveError(`device node refused: ${header.name}`);
      case "fifo":
        return `${header.name}: FIFO not created`;
      default:
        throw new UnsafeArchiveError(`unsupported entry type for ${header.name}`);
    }
  }

  /** Like parentDir but only checks (hard-link sources must already exist). */
  private async checkedExistingParent(parts: string[]): Promise<string> {
    let cur = this.root;
    for (const p of parts.slice(0, -1)) {
      cur = path.join(cur, p);
      const st = await lstatOrNull(cur);
      if (!st || !st.isDirectory() || st.isSymbolicLink()) {
        throw new UnsafeArchiveError(`hard link source path '${parts.join("/")}' is not inside this layer`);
      }
    }
    return cur;
  }

  /**
   * Directory modes and times last, children before parents, so restrictive modes do not block
   * writing children and a child's times do not change its parent's afterwards.
   */
  async finish(): Promise<void> {
    const visit = (node: DirNode, parts: string[]): void => {
      for (const [name, child] of node.children) visit(child, [...parts, name]);
      if (node.meta) this.applyMeta(parts.join("/"), "dir", node.meta);
    };
    try {
      visit(this.pending, []);
    } finally {
      this.pending.children.clear();
      this.pending.meta = null;
      this.close();
    }
  }
}

/**
 * A directory the layer does not describe (its root, or a parent it never lists) gets 0755 as in
 * the image tools, whatever Tandem's umask (077) would make of it: a container's `/` takes its
 * top layer root's mode, and non-root users inside must traverse it.
 */
async function mkdirOpen(dir: string): Promise<void> {
  await fs.mkdir(dir);
  await fs.chmod(dir, 0o755);
}

/** Unpacks the layer file into `target` (which must not exist yet). */
export async function unpackLayer(
  file: string,
  target: string,
  limits: UnpackLimits = DEFAULT_LIMITS,
  budget?: UnpackBudget,
): Promise<UnpackResult> {
  await mkdirOpen(target);
  const blobHash = createHash("sha256");
  const diffHash = createHash("sha256");
  const source = hashing(await decompressed(file, blobHash), diffHash);
  const ex = new LayerExtractor(target);
  const skipped: string[] = [];
  let entries = 0;
  let bytes = 0;
  try {
    for await (const { header, body } of readTar(source)) {
      entries++;
      bytes += header.type === "file" ? header.size : 0;
      if (entries > limits.maxEntries) throw new UnsafeArchiveError(`layer has more than ${limits.maxEntries} entries`);
      if (bytes > limits.maxBytes) throw new UnsafeArchiveError(`layer unpacks to more than ${limits.maxBytes} bytes`);
      if (header.type === "file") budget?.take(header.size);
      const r = await ex.entry(header, body);
      if (r !== "ok") skipped.push(r);
    }
    // Drain trailing padding so the digests cover the whole stream.
    for await (const _ of source) {
      // nothing
    }
    await ex.finish();
  } catch (e) {
    ex.close();
    if (e instanceof UnsafeArchiveError || e instanceof TarFormatError) throw e;
    if (
      (e as NodeJS.ErrnoException).code === "Z_DATA_ERROR" ||
      (e as Error).message?.includes("incorrect header check")
    ) {
      throw new TarFormatError(`corrupt compressed layer: ${(e as Error).message}`);
    }
    throw e;
  }
  return {
    diffId: `sha256:${diffHash.digest("hex")}`,
    blobDigest: `sha256:${blobHash.digest("hex")}`,
    entries,
    bytes,
    skipped,
  };
}
