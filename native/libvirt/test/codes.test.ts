// The numbers index.ts passes to the addon are the ones the addon is compiled with: the .gen.ts
// files must be exactly what scripts/gen-codes.mjs derives, through the compiler, from libvirt's
// headers and src/ops.h. No daemon and no addon load needed (a C++ compiler and libvirt-dev are,
// as for building the addon).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { NetworkOp, StoragePoolOp, StreamEvent } from "../ops.gen";

const script = fileURLToPath(new URL("../scripts/gen-codes.mjs", import.meta.url));

describe("codes shared between TS and C++", () => {
  it("error codes, libvirt constants and op codes match what the compiler sees", () => {
    let out = "";
    try {
      execFileSync(process.execPath, [script, "--check"], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      out = String((e as { stderr?: string }).stderr ?? e);
    }
    expect(out).toBe("");
  });

  it("reads every enumerator of src/ops.h", () => {
    const header = readFileSync(fileURLToPath(new URL("../src/ops.h", import.meta.url)), "utf8");
    const members = [...header.matchAll(/^\s+k\w+ = \d+,/gm)].length;
    const keys = [NetworkOp, StoragePoolOp, StreamEvent].map((t) => Object.keys(t).length);
    expect(keys.reduce((a, b) => a + b, 0)).toBe(members);
  });
});
