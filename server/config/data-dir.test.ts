// Unit tests for the data-directory contract: the mode each top-level entry gets, the database
// files wherever they live, symlinks never followed, and group lookup from a group file.
import { lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyDataDirContract, databaseFile, groupId, topLevelMode } from "./data-dir";

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "datadir-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o7777;

describe("data directory contract", () => {
  it("gives each top-level entry its mode", () => {
    expect(topLevelMode("tandem.db", false, "tandem.db")).toEqual({ mode: 0o600 });
    expect(topLevelMode("tandem.db-wal", false, "tandem.db")).toEqual({ mode: 0o600 });
    expect(topLevelMode("images", true, "tandem.db")).toEqual({ mode: 0o710, group: "libvirt-qemu" });
    expect(topLevelMode("vms", true, "tandem.db")).toEqual({ mode: 0o710, group: "libvirt-qemu" });
    expect(topLevelMode("containers", true, "tandem.db")).toEqual({ mode: 0o711 });
    expect(topLevelMode("run", true, "tandem.db")).toEqual({ mode: 0o700 });
    expect(topLevelMode("images", false, "tandem.db")).toEqual({ mode: 0o700 });
    expect(topLevelMode("e2e", true, "tandem.db", true)).toEqual({ mode: 0o711 });
  });

  it("applies the modes, closes a database kept elsewhere and never follows a link", () => {
    const data = path.join(tmp, "data");
    mkdirSync(data, { mode: 0o755 });
    for (const d of ["images", "vms", "containers", "run", "bin"]) mkdirSync(path.join(data, d), { mode: 0o755 });
    writeFileSync(path.join(data, "tandem.db"), "x", { mode: 0o644 });
    writeFileSync(path.join(data, "tandem.db-wal"), "x", { mode: 0o644 });
    writeFileSync(path.join(data, "tandem.db.migrated"), "x", { mode: 0o644 });
    const outside = path.join(tmp, "outside");
    writeFileSync(outside, "x", { mode: 0o644 });
    symlinkSync(outside, path.join(data, "link"));
    applyDataDirContract(data, `file:${path.join(data, "tandem.db")}`);
    expect(mode(data)).toBe(0o711);
    expect(mode(path.join(data, "tandem.db"))).toBe(0o600);
    expect(mode(path.join(data, "tandem.db-wal"))).toBe(0o600);
    expect(mode(path.join(data, "tandem.db.migrated"))).toBe(0o700);
    expect(mode(path.join(data, "images"))).toBe(0o710);
    expect(mode(path.join(data, "vms"))).toBe(0o710);
    expect(mode(path.join(data, "containers"))).toBe(0o711);
    expect(mode(path.join(data, "run"))).toBe(0o700);
    expect(mode(path.join(data, "bin"))).toBe(0o700);
    expect(mode(outside)).toBe(0o644);
    expect(lstatSync(path.join(data, "link")).isSymbolicLink()).toBe(true);
    // setup creates libvirt-qemu (scripts/host/ensure-libvirt.sh) on every host that runs the suite.
    const gid = groupId("libvirt-qemu");
    expect(gid).not.toBeNull();
    expect(statSync(path.join(data, "images")).gid).toBe(gid);

    const elsewhere = path.join(tmp, "db", "t.db");
    mkdirSync(path.dirname(elsewhere));
    writeFileSync(elsewhere, "x", { mode: 0o644 });
    applyDataDirContract(data, `file:${elsewhere}`);
    expect(mode(elsewhere)).toBe(0o600);
  });

  it("reads gids from a group file and the database file from a URL", () => {
    const groups = path.join(tmp, "group");
    writeFileSync(groups, "root:x:0:\nlibvirt-qemu:x:64055:libvirt-qemu\nbroken:x:zz:\n");
    expect(groupId("libvirt-qemu", groups)).toBe(64055);
    expect(groupId("root", groups)).toBe(0);
    expect(groupId("broken", groups)).toBeNull();
    expect(groupId("absent", groups)).toBeNull();
    expect(groupId("root", path.join(tmp, "no-such-file"))).toBeNull();
    expect(databaseFile("file:/var/lib/tandem/tandem.db")).toBe("/var/lib/tandem/tandem.db");
    expect(databaseFile("file:./x.db?mode=rwc")).toBe(path.resolve("x.db"));
    expect(databaseFile("libsql://db.example")).toBeNull();
  });
});
