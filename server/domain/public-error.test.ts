// Unit tests for what viewers may read of a failure: user-facing AppErrors pass untouched; host
// paths, stderr and internal errors are replaced by a clean summary and a reference.
import { describe, expect, it } from "vitest";
import { AppError } from "./errors";
import { publicError, revealsHost } from "./public-error";

const REF = /\(ref [0-9a-f]{8}; the server log has the details\)$/;

describe("publicError", () => {
  it("passes AppErrors written for users through unchanged, with no reference", () => {
    for (const e of [
      new AppError("CONFLICT", "a container named 'web' already exists"),
      new AppError("VALIDATION", "image 'x' does not exist; GET /api/v1/images lists them"),
      new AppError("VALIDATION", "user 'leaked' is not in the image's /etc/passwd"),
      new AppError("BAD_REQUEST", "see https://example.org/docs/images for the formats"),
    ]) {
      expect(publicError(e)).toEqual({ message: e.message, ref: null });
    }
  });

  it("withholds host paths from any message, keeping its meaning", () => {
    const e = new AppError(
      "VALIDATION",
      "image layer /var/lib/tandem/images/oci/layers/ab12 is missing from the store",
    );
    const p = publicError(e);
    expect(p.ref).toMatch(/^[0-9a-f]{8}$/);
    expect(p.message).toMatch(/^image layer … is missing from the store /);
    expect(p.message).toMatch(REF);
    expect(p.message).not.toContain("/var/lib");
  });

  it("withholds backend stderr: several lines, and internal errors past their first clause", () => {
    const stderr = new AppError(
      "BACKEND_UNAVAILABLE",
      "qemu-img failed\nqemu-img: Could not open 'x': Permission denied\n",
    );
    expect(publicError(stderr).message).toMatch(/^qemu-img failed \(ref /);
    const internal = new AppError("INTERNAL", "the container did not start: crun: open `/run/x`: EPERM");
    expect(publicError(internal).message).toMatch(/^the container did not start \(ref [0-9a-f]{8};/);
    const plain = new Error("ENOENT: no such file or directory, open '/work/data/containers/x/pid'");
    const p = publicError(plain);
    expect(p.message).toMatch(/^ENOENT \(ref /);
    expect(p.message).not.toContain("/work");
    expect(publicError("weird").message).toMatch(/^weird \(ref /);
    expect(publicError(new Error("")).message).toMatch(/^internal error \(ref /);
  });

  it("gives each withheld error its own reference", () => {
    const e = new AppError("INTERNAL", "boom");
    expect(publicError(e).ref).not.toBe(publicError(e).ref);
  });

  it("tells host paths from API routes, URLs and guest paths", () => {
    expect(revealsHost("open /tmp/tandem-test-x/db")).toBe(true);
    expect(revealsHost("'/dev/sda' is busy")).toBe(true);
    expect(revealsHost("mount: /work/main/data/containers/u/rootfs: EINVAL")).toBe(true);
    expect(revealsHost("GET /api/v1/images lists them")).toBe(false);
    expect(revealsHost("http://127.0.0.1:8080/login")).toBe(false);
    expect(revealsHost("the image's /etc/passwd")).toBe(false);
    expect(revealsHost("a/b relative")).toBe(false);
    expect(revealsHost("one line\n")).toBe(false);
    expect(revealsHost("two\nlines")).toBe(true);
  });
});
