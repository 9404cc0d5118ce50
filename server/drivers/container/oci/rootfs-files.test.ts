// Unit tests for host-side reads of image files: what an image can plant at etc/passwd (links to
// /dev/zero or to host files, a link on a parent, a FIFO, a huge file) is refused without
// reading it or blocking; ordinary files and absent ones read as before.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ImageFileError, readImageFile } from "./rootfs-files";

let rootfs: string;
let hostDir: string;
beforeEach(() => {
  rootfs = mkdtempSync(path.join(os.tmpdir(), "rootfs-"));
  hostDir = mkdtempSync(path.join(os.tmpdir(), "host-"));
  mkdirSync(path.join(rootfs, "etc"));
});
afterEach(() => {
  rmSync(rootfs, { recursive: true, force: true });
  rmSync(hostDir, { recursive: true, force: true });
});

const refused = (rel: string, max?: number) => {
  try {
    readImageFile(rootfs, rel, max);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageFileError);
    return (e as Error).message;
  }
  throw new Error(`${rel} was read`);
};

describe("readImageFile", () => {
  it("reads a regular file and answers null for a missing one", () => {
    writeFileSync(path.join(rootfs, "etc", "passwd"), "root:x:0:0::/root:/bin/sh\n");
    expect(readImageFile(rootfs, "etc/passwd")).toBe("root:x:0:0::/root:/bin/sh\n");
    expect(readImageFile(rootfs, "etc/group")).toBeNull();
    rmSync(path.join(rootfs, "etc"), { recursive: true });
    writeFileSync(path.join(rootfs, "etc"), "not a directory");
    expect(readImageFile(rootfs, "etc/passwd")).toBeNull();
  });

  it("refuses a link to /dev/zero without reading it", () => {
    symlinkSync("/dev/zero", path.join(rootfs, "etc", "passwd"));
    expect(refused("etc/passwd")).toMatch(/symlink/);
  });

  it("refuses a link to a host file, absolute or relative, and a link on a parent", () => {
    writeFileSync(path.join(hostDir, "secret"), "leaked:x:4321:4321::/:/bin/sh\n", { mode: 0o600 });
    symlinkSync(path.join(hostDir, "secret"), path.join(rootfs, "etc", "passwd"));
    expect(refused("etc/passwd")).toMatch(/symlink/);
    symlinkSync(`../../${path.basename(hostDir)}/secret`, path.join(rootfs, "etc", "group"));
    expect(refused("etc/group")).toMatch(/symlink/);
    rmSync(path.join(rootfs, "etc"), { recursive: true });
    writeFileSync(path.join(hostDir, "passwd"), "leaked:x:4321:4321::/:/bin/sh\n");
    symlinkSync(hostDir, path.join(rootfs, "etc"));
    expect(refused("etc/passwd")).toMatch(/symlink/);
  });

  it("refuses a FIFO without blocking on it, and a directory", () => {
    execFileSync("mkfifo", [path.join(rootfs, "etc", "passwd")]);
    expect(refused("etc/passwd")).toMatch(/not a regular file/);
    mkdirSync(path.join(rootfs, "etc", "group"));
    expect(refused("etc/group")).toMatch(/not a regular file/);
  });

  it("refuses a file over the cap and reads one at the cap", () => {
    writeFileSync(path.join(rootfs, "etc", "passwd"), "x".repeat(1025));
    expect(refused("etc/passwd", 1024)).toMatch(/larger than 1024/);
    writeFileSync(path.join(rootfs, "etc", "group"), "y".repeat(1024));
    expect(readImageFile(rootfs, "etc/group", 1024)).toHaveLength(1024);
  });
});
