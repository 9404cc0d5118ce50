import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "../../../test/backends";
import { cloneSeed, makeSeed, readSeedFile, retargetUserData, seedFiles } from "./cloud-init";
import { isImageFormat, parseConvertProgress } from "./disks";

const has = (cmd: string) => {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const dir = mkdtempSync(path.join(tmpdir(), "tandem-seedtest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("qemu-img helpers", () => {
  it("reads convert progress and knows the formats a clone can read", () => {
    expect(parseConvertProgress("    (0.00/100%)\r    (1.01/100%)\r    (42.50/100%)\r")).toBe(42.5);
    expect(parseConvertProgress("    (100.00/100%)\r\n")).toBe(100);
    expect(parseConvertProgress("nothing")).toBeNull();
    expect(isImageFormat("qcow2")).toBe(true);
    expect(isImageFormat("raw")).toBe(true);
    expect(isImageFormat("qcow2 -o x")).toBe(false);
    expect(isImageFormat(null)).toBe(false);
  });
});

describe("cloud-init seeds of clones", () => {
  it("retargets Tandem's user-data to the clone's hostname and leaves foreign YAML alone", () => {
    const ud = seedFiles({ instanceId: "a", hostname: "web1", user: "ada", password: "pw" })["user-data"];
    const out = retargetUserData(ud, "web2");
    expect(out.startsWith("#cloud-config\n")).toBe(true);
    const doc = JSON.parse(out.slice("#cloud-config\n".length)) as Record<string, unknown>;
    expect(doc.hostname).toBe("web2");
    expect(doc.users).toEqual(JSON.parse(ud.slice(14)).users);
    const yaml = "#cloud-config\nhostname: web1\n";
    expect(retargetUserData(yaml, "web2")).toBe(yaml);
    expect(retargetUserData("#!/bin/sh\necho hi\n", "web2")).toBe("#!/bin/sh\necho hi\n");
  });

  it.skipIf(!backend("genisoimage or xorriso (scripts/host/packages.sh)", has("genisoimage") || has("xorriso")))(
    "rebuilds a seed with a new instance-id and hostname, same users and keys",
    async () => {
      const src = path.join(dir, "src.iso");
      await makeSeed(src, { instanceId: "i-1", hostname: "web1", user: "ada", sshKeys: ["ssh-ed25519 AAAA ada@x"] });
      const out = path.join(dir, "clone.iso");
      await cloneSeed(src, out, { instanceId: "i-2", hostname: "web2" });
      const meta = JSON.parse(await readSeedFile(out, "meta-data")) as Record<string, string>;
      expect(meta).toEqual({ "instance-id": "i-2", "local-hostname": "web2" });
      const ud = await readSeedFile(out, "user-data");
      expect(ud).toContain('"hostname": "web2"');
      expect(ud).toContain("ssh-ed25519 AAAA ada@x");
      expect(await readSeedFile(out, "network-config")).toContain("dhcp4");
      await expect(readSeedFile(out, "vendor-data")).rejects.toThrow(/cannot read vendor-data/);
      await expect(readSeedFile(out, "../etc")).rejects.toThrow(/not a NoCloud file name/);
    },
  );
});
