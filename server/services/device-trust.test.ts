import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DeviceTrust } from "./device-trust";

describe("DeviceTrust", () => {
  it("vouches for the user it was issued for, whatever the case of the name, and nobody else", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-device-"));
    try {
      const file = path.join(dir, "device-key");
      const trust = await DeviceTrust.load(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const cookie = trust.issue("Admin");
      const id = trust.verify(cookie, "admin");
      expect(id).toMatch(/^[\w-]{22}$/);
      expect(trust.verify(cookie, "mallory")).toBeNull();
      expect(trust.verify(cookie.slice(0, -2) + "xx", "admin")).toBeNull();
      expect(trust.verify(`${cookie}.x`, "admin")).toBeNull();
      expect(trust.verify(undefined, "admin")).toBeNull();
      // The key survives a restart; another key does not accept the cookie.
      expect((await DeviceTrust.load(file)).verify(cookie, "admin")).toBe(id);
      expect((await DeviceTrust.load(path.join(dir, "other-key"))).verify(cookie, "admin")).toBeNull();
      // A key that cannot be stored still works, for this process.
      const unstored = await DeviceTrust.load(path.join(dir, "no-such-dir", "device-key"));
      expect(unstored.persistent).toBe(false);
      expect(unstored.verify(unstored.issue("admin"), "admin")).not.toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
