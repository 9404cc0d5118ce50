// Overlays written from remembered bytes are what qemu-img would have made (byte for byte, the
// same backing file and size), a changed base gets a fresh one, an existing file is never
// overwritten; and the qcow2 header's virtual size agrees with qemu-img info.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { answers, backend } from "../../../test/backends";
import { createOverlay, qcow2HeaderSize } from "./disks";
import { forgetOverlayTemplates, makeOverlay } from "./overlay-templates";

const tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-overlay-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const f = (n: string) => path.join(tmp, n);
const qemuImg = (...a: string[]) => execFileSync("qemu-img", a, { encoding: "utf8" });
const info = (file: string) =>
  JSON.parse(qemuImg("info", "--output=json", "-U", "-f", "qcow2", file)) as {
    "virtual-size": number;
    "backing-filename"?: string;
    "backing-filename-format"?: string;
  };

describe.skipIf(!backend("qemu-img", answers("qemu-img", ["--version"])))("overlays from remembered bytes", () => {
  beforeEach(() => forgetOverlayTemplates());

  it("writes the same bytes qemu-img makes, with the base and size qemu-img reads", async () => {
    qemuImg("create", "-q", "-f", "qcow2", f("base.qcow2"), "64M");
    await makeOverlay(f("one.qcow2"), f("base.qcow2"), "qcow2"); // qemu-img, remembered
    await makeOverlay(f("two.qcow2"), f("base.qcow2"), "qcow2"); // from memory
    await createOverlay(f("ref.qcow2"), f("base.qcow2"), "qcow2");
    expect(readFileSync(f("two.qcow2")).equals(readFileSync(f("ref.qcow2")))).toBe(true);
    const i = info(f("two.qcow2"));
    expect(i["backing-filename"]).toBe(f("base.qcow2"));
    expect(i["backing-filename-format"]).toBe("qcow2");
    expect(i["virtual-size"]).toBe(64 * 1024 ** 2);
    // A bigger disk than the base is remembered on its own.
    await makeOverlay(f("big1.qcow2"), f("base.qcow2"), "qcow2", 128 * 1024 ** 2);
    await makeOverlay(f("big2.qcow2"), f("base.qcow2"), "qcow2", 128 * 1024 ** 2);
    expect(info(f("big2.qcow2"))["virtual-size"]).toBe(128 * 1024 ** 2);
    expect(info(f("two.qcow2"))["virtual-size"]).toBe(64 * 1024 ** 2);
  });

  it("a changed base gets a fresh overlay with its new size", async () => {
    qemuImg("create", "-q", "-f", "qcow2", f("b2.qcow2"), "32M");
    await makeOverlay(f("c1.qcow2"), f("b2.qcow2"), "qcow2");
    qemuImg("resize", "-q", "-f", "qcow2", f("b2.qcow2"), "48M");
    await makeOverlay(f("c2.qcow2"), f("b2.qcow2"), "qcow2");
    expect(info(f("c2.qcow2"))["virtual-size"]).toBe(48 * 1024 ** 2);
    await makeOverlay(f("c3.qcow2"), f("b2.qcow2"), "qcow2");
    expect(info(f("c3.qcow2"))["virtual-size"]).toBe(48 * 1024 ** 2);
  });

  it("never overwrites an existing file", async () => {
    qemuImg("create", "-q", "-f", "qcow2", f("b3.qcow2"), "16M");
    await makeOverlay(f("d1.qcow2"), f("b3.qcow2"), "qcow2");
    writeFileSync(f("taken.qcow2"), "mine");
    await expect(makeOverlay(f("taken.qcow2"), f("b3.qcow2"), "qcow2")).rejects.toMatchObject({ code: "EEXIST" });
    expect(readFileSync(f("taken.qcow2"), "utf8")).toBe("mine");
  });

  it("reads the virtual size from a qcow2 header, and nothing from other files", async () => {
    qemuImg("create", "-q", "-f", "qcow2", f("h.qcow2"), "3G");
    expect(await qcow2HeaderSize(f("h.qcow2"))).toBe(info(f("h.qcow2"))["virtual-size"]);
    qemuImg("create", "-q", "-f", "raw", f("h.raw"), "1M");
    expect(await qcow2HeaderSize(f("h.raw"))).toBeNull();
    writeFileSync(f("short"), "QFI");
    expect(await qcow2HeaderSize(f("short"))).toBeNull();
  });
});
