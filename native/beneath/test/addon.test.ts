// Unit tests for the tandem_beneath addon: argument checking, every way out of the anchor
// directory refused (.., absolute, symlinks in the middle and at the end, /proc magic links), and
// metadata applied through an O_PATH descriptor landing on a symlink itself, not on its target.
// Runs as root (chown to another uid), as the whole suite does on the target host.
import {
  closeSync,
  constants as fsc,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  beneathAddon,
  beneathConstants,
  fchownat,
  isBeneathError,
  openBeneath,
  openRootDir,
  utimensat,
  withRootDir,
} from "../index";

let dir: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "beneath-"));
  outside = mkdtempSync(path.join(os.tmpdir(), "beneath-outside-"));
  writeFileSync(path.join(outside, "secret"), "host secret\n", { mode: 0o600 });
  mkdirSync(path.join(dir, "etc"));
  writeFileSync(path.join(dir, "etc", "passwd"), "root:x:0:0::/:/bin/sh\n");
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isBeneathError(e)) return e.code;
    throw e;
  }
  return "no error";
}

describe("tandem_beneath addon", () => {
  it("rejects bad arguments with TypeError/RangeError instead of crashing", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const a = beneathAddon() as any;
    expect(() => a.openBeneath()).toThrow(TypeError);
    expect(() => a.openBeneath(0, 1, 0, 0)).toThrow(TypeError);
    expect(() => a.openBeneath(-1, "x", 0, 0)).toThrow(RangeError);
    expect(() => a.openBeneath(1.5, "x", 0, 0)).toThrow(RangeError);
    expect(() => a.openBeneath(0, "", 0, 0)).toThrow(TypeError);
    expect(() => a.openBeneath(0, "/etc/passwd", 0, 0)).toThrow(TypeError);
    expect(() => a.openBeneath(0, "a\0b", 0, 0)).toThrow(TypeError);
    expect(() => a.openBeneath(0, "x", 0, 0o10000)).toThrow(RangeError);
    expect(() => a.fchownat(0, "x", -1, 0, 0)).toThrow(RangeError);
    expect(() => a.fchownat(0, "x", 0xffffffff, 0, 0)).toThrow(RangeError);
    expect(() => a.fchownat(0, "", 0, 0, 0)).toThrow(/AT_EMPTY_PATH/);
    expect(() => a.utimensat(0, "x", Number.NaN, 0, 0)).toThrow(RangeError);
    expect(() => a.utimensat(0, "x", 0, Infinity, 0)).toThrow(RangeError);
    expect(() => a.utimensat(0, "x", "0", 0, 0)).toThrow(TypeError);
  });

  it("reports errno as code/errno/syscall like Node's fs", () => {
    withRootDir(dir, (root) => {
      try {
        openBeneath(root, "missing", 0);
        expect.unreachable();
      } catch (e) {
        expect(isBeneathError(e, "ENOENT")).toBe(true);
        expect((e as { syscall: string }).syscall).toBe("openat2");
        expect((e as Error).message).toMatch(/openat2 missing: No such file/);
      }
    });
  });

  it("opens what is really beneath", () => {
    withRootDir(dir, (root) => {
      const fd = openBeneath(root, "etc/passwd", 0);
      const buf = Buffer.alloc(64);
      const n = readSync(fd, buf);
      closeSync(fd);
      expect(buf.subarray(0, n).toString()).toBe("root:x:0:0::/:/bin/sh\n");
    });
  });

  it("refuses every way out: .., absolute links, relative links, links mid-path, magic links", () => {
    symlinkSync(path.join(outside, "secret"), path.join(dir, "abs"));
    symlinkSync("../../" + path.basename(outside) + "/secret", path.join(dir, "etc", "rel"));
    symlinkSync("passwd", path.join(dir, "etc", "inside"));
    symlinkSync(outside, path.join(dir, "dirlink"));
    withRootDir(dir, (root) => {
      expect(code(() => openBeneath(root, "../" + path.basename(outside) + "/secret", 0))).toBe("EXDEV");
      expect(code(() => openBeneath(root, "etc/../../x", 0))).toBe("EXDEV");
      expect(code(() => openBeneath(root, "abs", 0))).toBe("ELOOP");
      expect(code(() => openBeneath(root, "etc/rel", 0))).toBe("ELOOP");
      // Even a link that would stay inside is refused: nothing follows links here.
      expect(code(() => openBeneath(root, "etc/inside", 0))).toBe("ELOOP");
      expect(code(() => openBeneath(root, "dirlink/secret", 0))).toBe("ELOOP");
    });
    const proc = openRootDir(`/proc/${process.pid}`);
    try {
      expect(code(() => openBeneath(proc, "root/etc/hostname", 0))).toBe("ELOOP");
      expect(code(() => openBeneath(proc, "cwd", 0))).toBe("ELOOP");
    } finally {
      closeSync(proc);
    }
  });

  it("creates with O_CREAT|O_EXCL and the mode asked, refusing an existing link", () => {
    const c = beneathConstants();
    symlinkSync(path.join(outside, "secret"), path.join(dir, "planted"));
    withRootDir(dir, (root) => {
      const fd = openBeneath(root, "etc/new", fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o640);
      closeSync(fd);
      expect(
        code(() => openBeneath(root, "planted", fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | c.O_NOFOLLOW, 0o600)),
      ).toBe("EEXIST");
    });
    expect(statSync(path.join(dir, "etc", "new")).mode & 0o7777).toBe(0o640 & ~process.umask());
    expect(statSync(path.join(outside, "secret")).size).toBe("host secret\n".length);
  });

  it("changes a symlink's own owner and times through O_PATH|O_NOFOLLOW, never its target's", () => {
    const c = beneathConstants();
    const secret = path.join(outside, "secret");
    symlinkSync(secret, path.join(dir, "x"));
    const before = statSync(secret);
    withRootDir(dir, (root) => {
      const fd = openBeneath(root, "x", c.O_PATH | c.O_NOFOLLOW);
      try {
        fchownat(fd, "", 4242, 4243, c.AT_EMPTY_PATH);
        utimensat(fd, "", 1000, 2000.5, c.AT_EMPTY_PATH);
      } finally {
        closeSync(fd);
      }
    });
    const link = lstatSync(path.join(dir, "x"));
    expect([link.uid, link.gid, link.mtimeMs]).toEqual([4242, 4243, 2000500]);
    const after = statSync(secret);
    expect([after.uid, after.gid, after.mode, after.mtimeMs]).toEqual([
      before.uid,
      before.gid,
      before.mode,
      before.mtimeMs,
    ]);
  });

  it("acts relative to a directory fd with AT_SYMLINK_NOFOLLOW", () => {
    const c = beneathConstants();
    symlinkSync(path.join(outside, "secret"), path.join(dir, "etc", "l"));
    withRootDir(dir, (root) => {
      const etc = openBeneath(root, "etc", c.O_PATH | c.O_DIRECTORY);
      try {
        fchownat(etc, "l", 77, 78, c.AT_SYMLINK_NOFOLLOW);
        utimensat(etc, "l", 5, 6, c.AT_SYMLINK_NOFOLLOW);
      } finally {
        closeSync(etc);
      }
    });
    const l = lstatSync(path.join(dir, "etc", "l"));
    expect([l.uid, l.gid, l.mtimeMs]).toEqual([77, 78, 6000]);
    expect(statSync(path.join(outside, "secret")).uid).toBe(process.getuid!());
  });
});
