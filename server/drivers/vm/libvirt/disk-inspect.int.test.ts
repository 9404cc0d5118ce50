// The disk image inspection against real files made with qemu-img (and an ISO): standalone
// images pass with their size; anything that names another file, lies about its format, is
// encrypted or unreadable is refused with VALIDATION and a message without host paths; the
// limits are really applied (a tiny address space fails closed).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AppError } from "../../../domain/errors";
import { inspectDiskImage, INSPECT_LIMITS } from "./disk-inspect";

const tmp = mkdtempSync(path.join(tmpdir(), "tandem-inspect-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const f = (n: string) => path.join(tmp, n);
const img = (...args: string[]) => execFileSync("qemu-img", args, { stdio: "pipe" });
const refusal = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, "refused").toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe("VALIDATION");
  expect((e as AppError).message, "no host path in the message").not.toContain(tmp);
  return (e as AppError).message;
};

writeFileSync(f("secret.raw"), Buffer.alloc(1 << 20, 0x41), { mode: 0o600 });

describe("disk image inspection", () => {
  it("admits standalone qcow2, raw and ISO images with their virtual size", async () => {
    img("create", "-q", "-f", "qcow2", f("plain.qcow2"), "3M");
    expect(await inspectDiskImage(f("plain.qcow2"), "qcow2")).toEqual({ format: "qcow2", virtualBytes: 3 << 20 });
    writeFileSync(f("plain.raw"), Buffer.alloc(2 << 20));
    expect(await inspectDiskImage(f("plain.raw"), "raw")).toEqual({ format: "raw", virtualBytes: 2 << 20 });
    writeFileSync(f("hello.txt"), "hello\n");
    execFileSync("genisoimage", ["-quiet", "-o", f("x.iso"), f("hello.txt")]);
    expect((await inspectDiskImage(f("x.iso"), "iso")).format).toBe("raw");
  });

  it("refuses a backing file, a json: backing name and an external data file", async () => {
    img("create", "-q", "-f", "qcow2", "-b", f("secret.raw"), "-F", "raw", f("backing.qcow2"));
    expect(await refusal(inspectDiskImage(f("backing.qcow2"), "qcow2"))).toMatch(/backing file/);

    img("create", "-q", "-f", "qcow2", f("json.qcow2"), "1M");
    const json = `json:{"driver":"raw","file":{"driver":"file","filename":"${f("secret.raw")}"}}`;
    img("rebase", "-q", "-u", "-f", "qcow2", "-b", json, "-F", "raw", f("json.qcow2"));
    expect(await refusal(inspectDiskImage(f("json.qcow2"), "qcow2"))).toMatch(/backing file/);

    img("create", "-q", "-f", "qcow2", "-o", `data_file=${f("decoy.raw")},data_file_raw=on`, f("data.qcow2"), "1M");
    img("amend", "-q", "-f", "qcow2", "-o", `data_file=${f("secret.raw")}`, f("data.qcow2"));
    expect(await refusal(inspectDiskImage(f("data.qcow2"), "qcow2"))).toMatch(/external data file/);
  });

  it("refuses an image that is not its declared format, encrypted, or not an image at all", async () => {
    // A qcow2 sent as raw: a later probe anywhere would follow its backing file.
    expect(await refusal(inspectDiskImage(f("backing.qcow2"), "raw"))).toMatch(/backing file/);
    img("create", "-q", "-f", "qcow2", f("q.qcow2"), "1M");
    expect(await refusal(inspectDiskImage(f("q.qcow2"), "raw"))).toMatch(/is a qcow2 image, not raw/);
    expect(await refusal(inspectDiskImage(f("plain.raw"), "qcow2"))).toMatch(/is a raw image, not qcow2/);
    img("create", "-q", "-f", "vmdk", f("v.vmdk"), "1M");
    expect(await refusal(inspectDiskImage(f("v.vmdk"), "qcow2"))).toMatch(/is a vmdk image/);
    img(
      "create",
      "-q",
      "--object",
      "secret,id=s0,data=pw",
      "-f",
      "qcow2",
      "-o",
      "encrypt.format=luks,encrypt.key-secret=s0,encrypt.iter-time=10",
      f("enc.qcow2"),
      "1M",
    );
    expect(await refusal(inspectDiskImage(f("enc.qcow2"), "qcow2"))).toMatch(/encrypted/);
    // qcow2's magic with a version no qemu knows: probed as qcow2, and unreadable.
    writeFileSync(
      f("junk.qcow2"),
      Buffer.concat([Buffer.from("QFI\xfb", "latin1"), Buffer.from([0, 0, 0, 99]), Buffer.alloc(504)]),
    );
    expect(await refusal(inspectDiskImage(f("junk.qcow2"), "qcow2"))).toMatch(/not a readable qcow2 disk image/);
  });

  it("runs qemu-img under the limits: too little address space fails closed", async () => {
    const tight = { ...INSPECT_LIMITS, addressSpaceBytes: 4 << 20 };
    expect(await refusal(inspectDiskImage(f("plain.qcow2"), "qcow2", tight))).toMatch(/not a readable/);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await inspectDiskImage(f("plain.qcow2"), "qcow2");
    console.warn(`[measure] inspectDiskImage ${((performance.now() - t0) / 10).toFixed(1)} ms per image`);
  });
});
