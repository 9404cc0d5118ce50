// A streaming tar reader (ustar, GNU long names, PAX headers) over an async byte source, so image
// layers are checked entry by entry before anything touches the disk. Bodies are streamed, never
// buffered whole; a corrupt archive fails with the offset where it went wrong.

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "other";

export interface TarHeader {
  name: string;
  linkname: string;
  type: TarEntryType;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor: number;
  devminor: number;
}

export class TarFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TarFormatError";
  }
}

const BLOCK = 512;

/** Octal (NUL/space terminated) or GNU base-256 numbers. */
export function parseNumeric(buf: Buffer): number {
  if (buf.length > 0 && (buf[0]! & 0x80) !== 0) {
    let n = buf[0]! & 0x7f;
    for (let i = 1; i < buf.length; i++) n = n * 256 + buf[i]!;
    return n;
  }
  const s = buf
    .toString("latin1")
    .replace(/[\0 ]+$/g, "")
    .trim();
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`bad numeric field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function cstring(buf: Buffer): string {
  const i = buf.indexOf(0);
  return buf.subarray(0, i < 0 ? buf.length : i).toString("utf8");
}

export function checksumOk(block: Buffer): boolean {
  const stored = parseNumeric(block.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i]!;
  return sum === stored;
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case "0":
    case "\0":
    case "":
    case "7":
      return "file";
    case "1":
      return "hardlink";
    case "2":
      return "symlink";
    case "3":
      return "char";
    case "4":
      return "block";
    case "5":
      return "dir";
    case "6":
      return "fifo";
    default:
      return "other";
  }
}

/** PAX records: "<len> <key>=<value>\n" repeated. */
export function parsePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(buf.subarray(off, sp).toString("latin1"));
    if (!Number.isInteger(len) || len <= 0 || off + len > buf.length) throw new TarFormatError("malformed PAX header");
    const rec = buf.subarray(sp + 1, off + len - 1).toString("utf8");
    const eq = rec.indexOf("=");
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}

export type ByteSource = AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array | string>;

/** Pulls exact byte counts out of an async chunk source. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  offset = 0;
  private readonly it: AsyncIterator<Buffer | Uint8Array | string> | Iterator<Buffer | Uint8Array | string>;
  private done = false;

  constructor(source: ByteSource) {
    this.it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      if (b.length) {
        this.chunks.push(b);
        this.buffered += b.length;
      }
    }
    return this.buffered >= n;
  }

  /** Exactly n bytes, or null at a clean end of input (nothing buffered). */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.buffered === 0) return null;
      throw new TarFormatError(`unexpected end of archive at byte ${this.offset + this.buffered}`);
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    this.offset += n;
    return out;
  }

  /** Streams n bytes in chunks as they arrive. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.fill(1))) {
        throw new TarFormatError(`unexpected end of archive at byte ${this.offset} (${left} bytes of a file missing)`);
      }
      const head = this.chunks[0]!;
      const take = Math.min(left, head.length);
      const out = head.subarray(0, take);
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
      this.buffered -= take;
      this.offset += take;
      left -= take;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.stream(n)) {
      // discard
    }
  }
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's content; must be consumed (or skipped) before the next entry is read. */
  body: AsyncGenerator<Buffer>;
}

/** Iterates the entries of a tar stream. Each body is consumed or drained before moving on. */
export async function* readTar(source: ByteSource): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let globalPax: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longName: string | null = null;
  let longLink: string | null = null;
  let sawEntry = false;
  for (;;) {
    const at = r.offset;
    let block: Buffer | null;
    try {
      block = await r.read(BLOCK);
    } catch (e) {
      if (at === 0) throw new TarFormatError("not a tar archive: shorter than one header block");
      throw e;
    }
    if (block === null) {
      if (!sawEntry) throw new TarFormatError("empty archive");
      return; // some writers omit the two zero blocks
    }
    if (block.every((b) => b === 0)) return;
    if (!checksumOk(block)) {
      throw new TarFormatError(`not a tar archive or corrupt: header checksum mismatch at byte ${at}`);
    }
    sawEntry = true;
    const typeflag = String.fromCharCode(block[156]!);
    const size = parseNumeric(block.subarray(124, 136));
    if (size > 2 ** 40) throw new TarFormatError(`entry size ${size} too large at byte ${at}`);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
      if (size > 1024 * 1024) throw new TarFormatError(`metadata entry of ${size} bytes at byte ${at}`);
      const data = (await r.read(padded)) ?? Buffer.alloc(0);
      const body = data.subarray(0, size);
      if (typeflag === "x") pax = { ...pax, ...parsePax(body) };
      else if (typeflag === "g") globalPax = { ...globalPax, ...parsePax(body) };
      else if (typeflag === "L") longName = cstring(body);
      else longLink = cstring(body);
      continue;
    }
    const magic = block.subarray(257, 263).toString("latin1");
    const prefix = magic.startsWith("ustar") ? cstring(block.subarray(345, 500)) : "";
    const baseName = cstring(block.subarray(0, 100));
    const meta = { ...globalPax, ...pax };
    const header: TarHeader = {
      name: meta.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName),
      linkname: meta.linkpath ?? longLink ?? cstring(block.subarray(157, 257)),
      type: typeOf(typeflag),
      typeflag,
      mode: parseNumeric(block.subarray(100, 108)) & 0o7777,
      uid: meta.uid !== undefined ? Number(meta.uid) : parseNumeric(block.subarray(108, 116)),
      gid: meta.gid !== undefined ? Number(meta.gid) : parseNumeric(block.subarray(116, 124)),
      size: meta.size !== undefined ? Number(meta.size) : size,
      mtime: meta.mtime !== undefined ? Math.floor(Number(meta.mtime)) : parseNumeric(block.subarray(136, 148)),
      devmajor: magic.startsWith("ustar") ? parseNumeric(block.subarray(329, 337)) : 0,
      devminor: magic.startsWith("ustar") ? parseNumeric(block.subarray(337, 345)) : 0,
    };
    pax = {};
    longName = null;
    longLink = null;
    const dataSize = header.type === "file" ? header.size : size;
    const start = r.offset;
    yield { header, body: r.stream(dataSize) };
    // Whatever the consumer did not read (or all of it) is skipped to stay aligned.
    const left = start + dataSize - r.offset;
    if (left > 0) await r.skip(left);
    await r.skip(Math.ceil(dataSize / BLOCK) * BLOCK - dataSize);
  }
}
