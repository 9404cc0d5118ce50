// The mount checks a create and a removal rely on, against real mounts (root): a directory is a
// mount point when its device differs from its parent's (stat, not /proc/self/mountinfo), and
// unmount() takes a stack of mounts down in one run, each of them gone afterwards.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isMountPoint, unmount } from "../oci/overlay";
import { HAVE_BACKEND } from "./support";

let dir: string;

/** What the kernel lists as mounted under dir (the reference the stat check must agree with). */
function listedMounts(): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m.startsWith(dir));
}

describe.skipIf(!HAVE_BACKEND)("container mount checks", () => {
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "tandem-mounts-"));
  });

  afterEach(() => {
    // Innermost first; lazily, so a failed test still leaves nothing mounted.
    for (const m of listedMounts().reverse()) execFileSync("umount", ["-l", m]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("tells a mount point from a plain or missing directory", () => {
    const outer = path.join(dir, "layer");
    mkdirSync(outer);
    expect(isMountPoint(outer)).toBe(false);
    expect(isMountPoint(path.join(dir, "missing"))).toBe(false);
    execFileSync("mount", ["-t", "tmpfs", "tmpfs", outer]);
    expect(isMountPoint(outer)).toBe(true);
    expect(isMountPoint(`${outer}/`)).toBe(true);
    mkdirSync(path.join(outer, "sub"));
    expect(isMountPoint(path.join(outer, "sub"))).toBe(false);
    expect(isMountPoint("/")).toBe(true);
  });

  it("unmounts a mount and the one below it in one call", async () => {
    const layer = path.join(dir, "layer");
    const rootfs = path.join(layer, "rootfs");
    mkdirSync(layer);
    execFileSync("mount", ["-t", "tmpfs", "tmpfs", layer]);
    mkdirSync(rootfs);
    execFileSync("mount", ["-t", "tmpfs", "tmpfs", rootfs]);
    expect(listedMounts()).toEqual([layer, rootfs]);
    await unmount(rootfs, layer);
    expect(listedMounts()).toEqual([]);
    expect(isMountPoint(layer)).toBe(false);
    // Nothing left mounted: a second call is a no-op.
    await unmount(rootfs, layer);
  });
});
