import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeTar } from "../test/tar-writer";
import { unpackLayer } from "./layer-unpack";

describe("unpackLayer under Tandem's umask", () => {
  const dirs: string[] = [];
  const oldMask = process.umask();
  afterEach(() => {
    process.umask(oldMask);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("gives directories the layer does not list 0755, and listed entries their own modes", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-unpack-"));
    dirs.push(dir);
    const layer = path.join(dir, "layer.tar");
    // No entry for the root or for usr/ and usr/bin/: the unpacker makes them.
    writeFileSync(
      layer,
      makeTar([
        { name: "usr/bin/tool", body: "#!/bin/sh\n", mode: 0o4755 },
        { name: "etc/", type: "dir", mode: 0o750 },
        { name: "etc/secret", body: "x", mode: 0o600 },
      ]),
    );
    process.umask(0o077);
    const target = path.join(dir, "root");
    await unpackLayer(layer, target);
    const mode = (p: string) => statSync(path.join(target, p)).mode & 0o7777;
    expect(mode(".")).toBe(0o755);
    expect(mode("usr")).toBe(0o755);
    expect(mode("usr/bin")).toBe(0o755);
    expect(mode("usr/bin/tool")).toBe(0o4755);
    expect(mode("etc")).toBe(0o750);
    expect(mode("etc/secret")).toBe(0o600);
  });
});
