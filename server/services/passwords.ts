// Password and token hashing. scrypt (N=2^15) for passwords; sha256 for high-entropy secrets
// (session cookies, API tokens) where a slow hash buys nothing.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

const N = 1 << 15;
const r = 8;
const p = 1;
const keyLen = 32;
const maxmem = 64 * 1024 * 1024;

function scryptAsync(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLen, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt);
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const salt = Buffer.from(parts[4]!, "base64url");
  const expected = Buffer.from(parts[5]!, "base64url");
  const key = await scryptAsync(password, salt);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a password nobody has, so unknown users cost the same time as known ones. */
export const dummyHashPromise = hashPassword(randomBytes(16).toString("hex"));

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const randomSecret = (bytes = 32) => randomBytes(bytes).toString("base64url");
