// README claims about the tooling that no other test holds (docs/readme-claims.md lists them all):
// - "The integration run refuses to start when a real backend it needs is missing … and names it":
//   the integration project's global set-up, with libvirt pointed at a socket nobody listens on,
//   must throw naming that backend and prepare no template database.
// - "each step skipped when its inputs have not changed": the set-up's change detection
//   (scripts/lib.sh hash_of + unchanged) says unchanged for the same inputs, changed after an edit.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import setup from "./global-setup";

const ROOT = path.resolve(import.meta.dirname, "../..");

const saved = { uri: process.env.TANDEM_LIBVIRT_URI, allow: process.env.TANDEM_TEST_ALLOW_MISSING_BACKENDS };

afterEach(() => {
  for (const [k, v] of [
    ["TANDEM_LIBVIRT_URI", saved.uri],
    ["TANDEM_TEST_ALLOW_MISSING_BACKENDS", saved.allow],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe("the integration run's set-up", () => {
  it("refuses to start without libvirtd and names it", () => {
    const uri = "qemu+unix:///system?socket=/nonexistent/tandem-readme-claims.sock";
    process.env.TANDEM_LIBVIRT_URI = uri;
    delete process.env.TANDEM_TEST_ALLOW_MISSING_BACKENDS;
    const template = process.env.TANDEM_TEST_TEMPLATE_DB;
    expect(() => setup()).toThrow(`libvirtd answering on ${uri}`);
    expect(process.env.TANDEM_TEST_TEMPLATE_DB).toBe(template);
  });
});

describe("the set-up's change detection (scripts/lib.sh)", () => {
  /** Runs `script` with lib.sh sourced; lib.sh cds to the repository, so paths are absolute. */
  const bash = (dir: string, script: string) =>
    execFileSync("bash", ["-c", `source scripts/lib.sh; ${script}`], {
      cwd: ROOT,
      env: { ...process.env, TANDEM_DATA_DIR: path.join(dir, "data") },
      encoding: "utf8",
    }).trim();

  it("skips a step whose inputs hash as its stamp says, and runs it after an edit", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-readme-claims-"));
    try {
      const input = path.join(dir, "in");
      const stamp = path.join(dir, "stamp");
      writeFileSync(input, "one");
      const step = `h=$(hash_of ${input}); if unchanged ${stamp} "$h"; then echo skipped; else echo ran; echo "$h" > ${stamp}; fi`;
      expect(bash(dir, step)).toBe("ran");
      expect(bash(dir, step)).toBe("skipped");
      writeFileSync(input, "two");
      expect(bash(dir, step)).toBe("ran");
      expect(bash(dir, step)).toBe("skipped");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
