import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConsoleLog } from "./console-log";

const dir = mkdtempSync(path.join(tmpdir(), "tandem-conlog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const text = (b: Uint8Array) => Buffer.from(b).toString("latin1");

describe("serial log history", () => {
  it("returns the whole log when it fits, the tail from a line start when it does not", async () => {
    const f = path.join(dir, "serial.log");
    writeFileSync(f, "boot line 1\r\nTandem demo VM ready\r\nprompt# ");
    expect(text(await readConsoleLog(f, 4096))).toBe("boot line 1\r\nTandem demo VM ready\r\nprompt# ");
    expect(text(await readConsoleLog(f, 30))).toBe("prompt# ");
    // One long line and nothing else: keep the bytes rather than return nothing.
    writeFileSync(f, "x".repeat(100));
    expect(text(await readConsoleLog(f, 10))).toBe("x".repeat(10));
  });

  it("continues into virtlogd's rotated file, and is empty for a missing file or a symlink", async () => {
    const f = path.join(dir, "rot.log");
    writeFileSync(`${f}.0`, "older 1\nolder 2\n");
    writeFileSync(f, "newest\n");
    expect(text(await readConsoleLog(f, 1000))).toBe("older 1\nolder 2\nnewest\n");
    expect(text(await readConsoleLog(f, 12))).toBe("newest\n"); // "er 2\n" + "newest\n", cut at the line
    expect((await readConsoleLog(path.join(dir, "missing.log"), 100)).length).toBe(0);
    const link = path.join(dir, "link.log");
    symlinkSync("/etc/hostname", link);
    expect((await readConsoleLog(link, 100)).length).toBe(0);
    expect((await readConsoleLog(dir, 100)).length).toBe(0); // a directory
  });
});
