// The generated crun wrapper, run for real with a stand-in runtime that reports where its stdio
// points: /dev/null must be swapped for Tandem's own null device (crun 1.8 chowns its stdio to a
// user-namespaced container's root), anything else passed through untouched.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { wrapperScript } from "./host";

const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-wrap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function wrapper(): string {
  const fake = path.join(dir, "fake-crun");
  writeFileSync(
    fake,
    '#!/bin/sh\nfor f in 0 1 2; do echo "$f=$(readlink /proc/$$/fd/$f)" >&3; done\necho "args=$*" >&3\n',
  );
  chmodSync(fake, 0o755);
  // A regular file stands in for the device: the wrapper only redirects to the path.
  const nullDevice = path.join(dir, "null");
  writeFileSync(nullDevice, "");
  const w = path.join(dir, "wrapper");
  writeFileSync(w, wrapperScript(fake, { hybrid: false, nullDevice }));
  chmodSync(w, 0o755);
  return w;
}

describe("crun wrapper", () => {
  it("swaps /dev/null stdio for the private null device and keeps other fds and args", () => {
    const w = wrapper();
    const report = path.join(dir, "report");
    const out = spawnSync("sh", ["-c", `exec 3>${report}; exec "$0" "$@" </dev/null 2>/dev/null`, w, "exec", "a b"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    expect(out.status).toBe(0);
    const lines = spawnSync("cat", [report]).stdout.toString();
    expect(lines).toContain(`0=${path.join(dir, "null")}`);
    expect(lines).toContain(`2=${path.join(dir, "null")}`);
    expect(lines).toMatch(/1=(pipe|socket):/); // Node's pipe, passed through
    expect(lines).toContain("args=exec a b");
    expect(lines).not.toContain("=/dev/null");
  });
});
