// The rules for what an unprivileged QEMU can reach: its identity from libvirt's capabilities,
// search permission by owner/group/other, and opening up only Tandem's own directories.
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AppError } from "../../../domain/errors";
import { backend } from "../../../test/backends";
import { canSearch, makeReachable, makeReadable, qemuIdentity, shareDir } from "./qemu-access";

const caps = (label: string) => `<capabilities><host>
  <secmodel><model>none</model><doi>0</doi></secmodel>
  <secmodel><model>dac</model><doi>0</doi>
    <baselabel type='kvm'>${label}</baselabel>
    <baselabel type='qemu'>${label}</baselabel>
  </secmodel></host></capabilities>`;

const tmp = mkdtempSync(path.join(tmpdir(), "tandem-qemu-access-"));
chmodSync(tmp, 0o711); // the test's own root: searchable, as a data directory's parent must be
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const who = { uid: 64055, gid: 64055 };
const asRoot = backend("root (the tests chown files to QEMU's user)", process.getuid?.() === 0);

describe("QEMU's identity", () => {
  it("is the DAC base label, or null when QEMU runs as root or there is no DAC model", () => {
    expect(qemuIdentity(caps("+64055:+64055"))).toEqual({ uid: 64055, gid: 64055 });
    expect(qemuIdentity(caps("+107:+110"))).toEqual({ uid: 107, gid: 110 });
    expect(qemuIdentity(caps("+0:+0"))).toBeNull();
    expect(qemuIdentity("<capabilities><host/></capabilities>")).toBeNull();
  });
});

describe("search permission", () => {
  it("follows owner, then group, then other, as the kernel does", () => {
    expect(canSearch({ uid: 0, gid: 0, mode: 0o40700 }, who)).toBe(false);
    expect(canSearch({ uid: 0, gid: 0, mode: 0o40711 }, who)).toBe(true);
    expect(canSearch({ uid: 0, gid: 64055, mode: 0o40710 }, who)).toBe(true);
    expect(canSearch({ uid: 0, gid: 64055, mode: 0o40701 }, who)).toBe(false); // the group bits decide
    expect(canSearch({ uid: 64055, gid: 0, mode: 0o40011 }, who)).toBe(false); // the owner bits decide
    expect(canSearch({ uid: 64055, gid: 0, mode: 0o40100 }, who)).toBe(true);
  });
});

describe.skipIf(!asRoot)("opening directories for QEMU", () => {
  it("gives Tandem's own directories QEMU's group with g+x only, and leaves others' alone", async () => {
    const data = path.join(tmp, "data");
    const deep = path.join(data, "images", "uploads");
    mkdirSync(deep, { recursive: true, mode: 0o700 });
    chmodSync(data, 0o700);
    chmodSync(path.join(data, "images"), 0o770); // group rw bits are dropped
    const file = path.join(deep, "x.qcow2");
    writeFileSync(file, "x", { mode: 0o600 });
    await makeReachable(file, who, data);
    for (const [d, mode] of [
      [data, 0o710],
      [path.join(data, "images"), 0o710],
      [deep, 0o710],
    ] as const) {
      const st = statSync(d);
      expect({ d, mode: st.mode & 0o7777, gid: st.gid }).toEqual({ d, mode, gid: 64055 });
    }
    // The file itself is libvirt's to hand over (DAC relabelling), not this module's.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Already reachable: nothing changes (an 0711 directory keeps its group).
    const open = path.join(tmp, "open");
    mkdirSync(open, { mode: 0o711 });
    chmodSync(open, 0o711);
    await makeReachable(path.join(open, "f"), who, open);
    expect(statSync(open).mode & 0o7777).toBe(0o711);
    expect(statSync(open).gid).toBe(0);
  });

  it("reports a directory outside the data directory instead of changing it", async () => {
    const outside = path.join(tmp, "outside");
    mkdirSync(outside, { mode: 0o700 });
    chmodSync(outside, 0o700);
    chownSync(outside, 0, 0);
    const err = await makeReachable(path.join(outside, "k"), who, path.join(tmp, "data")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("BACKEND_UNAVAILABLE");
    expect((err as AppError).message).toContain(`may not search ${outside}.`);
    expect(statSync(outside).mode & 0o7777).toBe(0o700);
  });

  it("makes a shared base image group-readable, never group-writable, and takes it back from QEMU's user", async () => {
    const data = path.join(tmp, "data2");
    mkdirSync(path.join(data, "images"), { recursive: true });
    const mine = path.join(data, "images", "upload.qcow2");
    writeFileSync(mine, "x", { mode: 0o600 });
    await makeReadable(mine, who, data);
    expect({ uid: statSync(mine).uid, gid: statSync(mine).gid, mode: statSync(mine).mode & 0o7777 }).toEqual({
      uid: 0,
      gid: 64055,
      mode: 0o640,
    });
    // libvirt handed it to QEMU's user earlier (backing files were relabelled before chains were pinned).
    chownSync(mine, 64055, 64055);
    chmodSync(mine, 0o664);
    await makeReadable(mine, who, data);
    expect({ uid: statSync(mine).uid, mode: statSync(mine).mode & 0o7777 }).toEqual({ uid: 0, mode: 0o644 });
    // Outside the data directory: readable by others is enough; unreadable is reported, not changed.
    const theirs = path.join(tmp, "theirs.img");
    writeFileSync(theirs, "x", { mode: 0o644 });
    chmodSync(theirs, 0o644);
    await makeReadable(theirs, who, data);
    expect(statSync(theirs).mode & 0o7777).toBe(0o644);
    chmodSync(theirs, 0o600);
    const err = await makeReadable(theirs, who, data).catch((e: unknown) => e);
    expect((err as AppError).code).toBe("BACKEND_UNAVAILABLE");
    expect(statSync(theirs).mode & 0o7777).toBe(0o600);
  });

  it("does nothing when QEMU runs as root", async () => {
    const d = path.join(tmp, "rootq");
    mkdirSync(d, { mode: 0o700 });
    await makeReachable(path.join(d, "f"), null, d);
    await shareDir(d, null);
    expect(statSync(d).mode & 0o7777).toBe(0o700);
    await shareDir(d, who);
    expect({ mode: statSync(d).mode & 0o7777, gid: statSync(d).gid }).toEqual({ mode: 0o710, gid: 64055 });
  });
});
