// Test helper: writes ustar archives byte by byte, including the malformed and hostile entries
// (../ names, symlink escapes, device nodes) that no well-behaved tar tool would produce.
export interface TarSpecEntry {
  name: string;
  type?: "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
}

const FLAG = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" } as const;

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, "0") + "\0";
}

function header(e: TarSpecEntry, size: number, typeflag: string, name = e.name): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, "utf8");
  h.write(octal(e.mode ?? (e.type === "dir" ? 0o755 : 0o644), 8), 100, "latin1");
  h.write(octal(e.uid ?? 0, 8), 108, "latin1");
  h.write(octal(e.gid ?? 0, 8), 116, "latin1");
  h.write(octal(size, 12), 124, "latin1");
  h.write(octal(1_700_000_000, 12), 136, "latin1");
  h.write("        ", 148, "latin1");
  h.write(typeflag, 156, "latin1");
  h.write((e.linkname ?? "").slice(0, 100), 157, "utf8");
  h.write("ustar\0", 257, "latin1");
  h.write("00", 263, "latin1");
  h.write(octal(e.devmajor ?? 0, 8), 329, "latin1");
  h.write(octal(e.devminor ?? 0, 8), 337, "latin1");
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148, "latin1");
  return h;
}

function pad(b: Buffer): Buffer {
  const rest = b.length % 512;
  return rest ? Buffer.concat([b, Buffer.alloc(512 - rest)]) : b;
}

export function makeTar(entries: TarSpecEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? "file";
    const body = type === "file" ? Buffer.from(e.body ?? "") : Buffer.alloc(0);
    if (Buffer.byteLength(e.name) > 100 || Buffer.byteLength(e.linkname ?? "") > 100) {
      // PAX header for long names
      const recs = [`path=${e.name}`, ...(e.linkname ? [`linkpath=${e.linkname}`] : [])].map((kv) => {
        let len = kv.length + 3;
        while (String(len).length + kv.length + 2 !== len) len = String(len).length + kv.length + 2;
        return `${len} ${kv}\n`;
      });
      const pax = Buffer.from(recs.join(""));
      parts.push(header({ name: "PaxHeader" }, pax.length, "x", "PaxHeader"), pad(pax));
    }
    parts.push(header(e, body.length, FLAG[type]), pad(body));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
