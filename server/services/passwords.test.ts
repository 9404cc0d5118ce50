import { describe, expect, it } from "vitest";
import { hashPassword, randomSecret, sha256, verifyPassword } from "./passwords";

describe("passwords", () => {
  it("hashes with a random salt and verifies only the right password", async () => {
    const a = await hashPassword("correct horse");
    const b = await hashPassword("correct horse");
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse", a)).toBe(true);
    expect(await verifyPassword("correct horse!", a)).toBe(false);
  });
  it("treats a malformed stored hash as a mismatch, not an error", async () => {
    expect(await verifyPassword("x", "plain")).toBe(false);
    expect(await verifyPassword("x", "scrypt$1$2$3$$")).toBe(false);
  });
  it("makes url-safe secrets and stable sha256", () => {
    expect(randomSecret()).toMatch(/^[\w-]{43}$/);
    expect(sha256("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
