// The tandem_idmap addon against the real kernel (root): a user namespace fd with the asked-for
// mapping, and an idmapped read-only bind that shows on-disk owners shifted by the mapping while
// keeping setuid bits and other owners' offsets; detach removes it; a failed bind leaves nothing.
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detachMount, idmapAddon, idmappedBinds } from "../index";

const B = 2 ** 20 + 7 * 65536;
const map = [{ inside: 0, outside: B, count: 65536 }];
const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-idmap-"));
const mounted = () =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.includes(dir));

afterAll(() => {
  for (const l of mounted()) detachMount(l.split(" ")[4]!);
  rmSync(dir, { recursive: true, force: true });
});

describe("idmapped binds", () => {
  it("makes a user namespace with exactly the given mapping", () => {
    const a = idmapAddon();
    const fd = a.userns(map, map);
    try {
      expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^user:\[\d+\]$/);
    } finally {
      a.closeFd(fd);
    }
    // Mappings the kernel refuses (two ranges overlapping inside) come back as errors.
    expect(() =>
      a.userns(
        [
          { inside: 0, outside: B, count: 10 },
          { inside: 5, outside: B + 100, count: 10 },
        ],
        map,
      ),
    ).toThrow(/uid_map/);
  });

  it("shows owners shifted, keeps setuid bits, is read-only, and detaches", () => {
    const src = path.join(dir, "src");
    const dst = path.join(dir, "dst");
    mkdirSync(path.join(src, "bin"), { recursive: true });
    mkdirSync(dst);
    writeFileSync(path.join(src, "bin/su"), "x");
    chmodSync(path.join(src, "bin/su"), 0o4755);
    writeFileSync(path.join(src, "user-file"), "y");
    chownSync(path.join(src, "user-file"), 1000, 1001);
    idmappedBinds([{ source: src, target: dst }], { uid: map, gid: map }, { readonly: true });
    expect(mounted()).toHaveLength(1);
    const su = statSync(path.join(dst, "bin/su"));
    expect([su.uid, su.gid, su.mode & 0o7777]).toEqual([B, B, 0o4755]);
    const uf = statSync(path.join(dst, "user-file"));
    expect([uf.uid, uf.gid]).toEqual([B + 1000, B + 1001]);
    expect(() => writeFileSync(path.join(dst, "new"), "z")).toThrow(/EROFS/);
    // The source itself is untouched.
    expect(statSync(path.join(src, "bin/su")).uid).toBe(0);
    detachMount(dst);
    expect(mounted()).toHaveLength(0);
  });

  it("undoes the binds it made when a later one fails", () => {
    const ok = path.join(dir, "ok");
    mkdirSync(ok);
    expect(() =>
      idmappedBinds(
        [
          { source: path.join(dir, "src"), target: ok },
          { source: path.join(dir, "missing"), target: ok },
        ],
        { uid: map, gid: map },
        { readonly: true },
      ),
    ).toThrow(/open_tree/);
    expect(mounted()).toHaveLength(0);
  });
});
