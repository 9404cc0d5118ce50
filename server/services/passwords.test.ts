import { randomBytes, scryptSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, randomSecret, sha256, verifyPassword } from "./passwords";

describe("passwords", () => {
  // Four hashes at ~0.6 s of one core each: more than the default 5 s on a busy two-core host.
  it(
    "hashes at OWASP's scrypt parameters with a random salt and verifies only the right password",
    { timeout: 60_000 },
    async () => {
      const a = await hashPassword("correct horse");
      const b = await hashPassword("correct horse");
      expect(a).toMatch(/^scrypt\$131072\$8\$1\$/);
      expect(a).not.toBe(b);
      expect(needsRehash(a)).toBe(false);
      expect(await verifyPassword("correct horse", a)).toBe(true);
      expect(await verifyPassword("correct horse!", a)).toBe(false);
    },
  );
  it(
    "verifies a hash made at the old parameters with those parameters, and says to rehash it",
    { timeout: 60_000 },
    async () => {
      const salt = randomBytes(16);
      const key = scryptSync("old password", salt, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
      const old = `scrypt$32768$8$1$${salt.toString("base64url")}$${key.toString("base64url")}`;
      expect(await verifyPassword("old password", old)).toBe(true);
      expect(await verifyPassword("old passwore", old)).toBe(false);
      expect(needsRehash(old)).toBe(true);
    },
  );
  it("treats a malformed or out-of-bounds stored hash as a mismatch, not an error", async () => {
    expect(await verifyPassword("x", "plain")).toBe(false);
    expect(await verifyPassword("x", "scrypt$1$2$3$$")).toBe(false);
    expect(await verifyPassword("x", "scrypt$33554432$8$1$AAAA$AAAA")).toBe(false); // 2^25: 32 GiB
    expect(await verifyPassword("x", "scrypt$131072$64$1$AAAA$AAAA")).toBe(false);
    expect(await verifyPassword("x", "scrypt$100000$8$1$AAAA$AAAA")).toBe(false); // not a power of two
  });
  it("makes url-safe secrets and stable sha256", () => {
    expect(randomSecret()).toMatch(/^[\w-]{43}$/);
    expect(sha256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
