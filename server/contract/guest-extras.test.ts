import { describe, expect, it } from "vitest";
import { GuestName } from "./guest";
import { CreateSnapshotBody, LogLine, SnapshotName } from "./guest-extras";
import { ImageFormat, uploadFormatKind, uploadFormats } from "./image";

describe("snapshot limits", () => {
  it("refuses at the edge what the VM backend would refuse in the task (a 64-character name)", () => {
    expect(SnapshotName.safeParse("a".repeat(63)).success).toBe(true);
    expect(SnapshotName.safeParse("a".repeat(64)).success).toBe(false);
    expect(CreateSnapshotBody.safeParse({ name: "a".repeat(64) }).success).toBe(false);
  });
  it("accepts exactly the names the VM backend checks them against (guest names)", () => {
    for (const n of ["before-upgrade", "s1", "a.b_c", "-x", ".x", "a b", "é", ""])
      expect(SnapshotName.safeParse(n).success, n).toBe(GuestName.safeParse(n).success);
  });
  it("limits the description", () => {
    expect(CreateSnapshotBody.safeParse({ name: "s", description: "d".repeat(1024) }).success).toBe(true);
    expect(CreateSnapshotBody.safeParse({ name: "s", description: "d".repeat(1025) }).success).toBe(false);
  });
});

describe("log lines and image formats", () => {
  it("reads a log line with its stream", () => {
    expect(LogLine.safeParse({ time: "t", stream: "stderr", text: "x" }).success).toBe(true);
    expect(LogLine.safeParse({ time: "t", stream: "tty", text: "x" }).success).toBe(false);
  });
  it("stores every uploaded disk under its own format and container uploads as oci", () => {
    for (const f of uploadFormats) {
      const stored = uploadFormatKind[f] === "vm" ? f : "oci";
      expect(ImageFormat.safeParse(stored).success, f).toBe(true);
    }
  });
});
