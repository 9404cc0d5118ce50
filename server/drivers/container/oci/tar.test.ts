// Unit tests for the tar reader and the name checks: formats, corruption, hostile names.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { makeTar } from "../test/tar-writer";
import { checksumOk, parseNumeric, parsePax, readTar, TarFormatError } from "./tar";
import { entryComponents, UnsafeArchiveError, whiteoutOf } from "./tar-safety";

async function entries(buf: Buffer) {
  const out: { name: string; type: string; body: string; linkname: string }[] = [];
  for await (const e of readTar([buf.subarray(0, 700), buf.subarray(700)])) {
    let body = "";
    for await (const c of e.body) body += c.toString();
    out.push({ name: e.header.name, type: e.header.type, body, linkname: e.header.linkname });
  }
  return out;
}

describe("tar reader", () => {
  it("reads files, dirs, links and PAX long names across chunk boundaries", async () => {
    const long = `${"d".repeat(120)}/file.txt`;
    const tar = makeTar([
      { name: "bin/", type: "dir" },
      { name: "bin/busybox", body: "x".repeat(1000), mode: 0o755 },
      { name: "bin/sh", type: "symlink", linkname: "busybox" },
      { name: "bin/ash", type: "hardlink", linkname: "bin/busybox" },
      { name: long, body: "deep" },
    ]);
    const got = await entries(tar);
    expect(got.map((e) => e.name)).toEqual(["bin/", "bin/busybox", "bin/sh", "bin/ash", long]);
    expect(got[1]!.body).toHaveLength(1000);
    expect(got[2]).toMatchObject({ type: "symlink", linkname: "busybox" });
    expect(got[4]!.body).toBe("deep");
  });

  it("skips bodies the consumer does not read", async () => {
    const tar = makeTar([
      { name: "a", body: "A".repeat(5000) },
      { name: "b", body: "B" },
    ]);
    const names: string[] = [];
    for await (const e of readTar([tar])) names.push(e.header.name);
    expect(names).toEqual(["a", "b"]);
  });

  it("reports corrupt and truncated archives clearly", async () => {
    const tar = makeTar([{ name: "a", body: "hello" }]);
    const bad = Buffer.from(tar);
    bad[10] = 0x41;
    await expect(entries(bad)).rejects.toThrow(/checksum mismatch at byte 0/);
    await expect(entries(tar.subarray(0, 600))).rejects.toThrow(TarFormatError);
    await expect(entries(gzipSync(tar))).rejects.toThrow(/not a tar archive/);
    await expect(entries(Buffer.alloc(0))).rejects.toThrow(/empty archive/);
  });

  it("parses numeric fields in octal and base-256, and PAX records", () => {
    expect(parseNumeric(Buffer.from("0000644\0"))).toBe(0o644);
    expect(parseNumeric(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 1, 0]))).toBe(256);
    expect(() => parseNumeric(Buffer.from("12z"))).toThrow(TarFormatError);
    expect(parsePax(Buffer.from("13 path=abcd\n"))).toEqual({ path: "abcd" });
    const tar = makeTar([{ name: "x" }]);
    expect(checksumOk(tar.subarray(0, 512))).toBe(true);
  });
});

describe("entry name checks", () => {
  it("normalizes harmless names", () => {
    expect(entryComponents("./a//b/")).toEqual(["a", "b"]);
    expect(entryComponents("./")).toEqual([]);
  });

  it("refuses escapes", () => {
    for (const bad of ["../etc/passwd", "a/../../x", "/etc/passwd", "a/\0b", "a/..", "x".repeat(256)]) {
      expect(() => entryComponents(bad)).toThrow(UnsafeArchiveError);
    }
  });

  it("recognizes whiteouts", () => {
    expect(whiteoutOf(["etc", ".wh.motd"])).toEqual({ kind: "remove", dir: ["etc"], name: "motd" });
    expect(whiteoutOf(["var", ".wh..wh..opq"])).toEqual({ kind: "opaque", dir: ["var"] });
    expect(whiteoutOf(["etc", "motd"])).toBeNull();
    expect(() => whiteoutOf(["etc", ".wh.."])).toThrow(UnsafeArchiveError);
  });
});
