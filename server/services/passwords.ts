// Password and token hashing. scrypt at OWASP's recommended cost (N=2^17, r=8, p=1: 128 MiB and
// roughly half a second of one core per hash) for passwords; sha256 for high-entropy secrets
// (session cookies, API tokens) where a slow hash buys nothing. A stored hash carries its own
// parameters, so hashes made at an older cost still verify and are replaced on the next sign-in.
import { createHash, randomBytes, scrypt, timingSafeEqual } from "node:crypto";

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

export const CURRENT: ScryptParams = { N: 1 << 17, r: 8, p: 1 };
const keyLen = 32;

function scryptAsync(password: string, salt: Buffer, { N, r, p }: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses anything over 32 MiB unless maxmem says otherwise.
  const maxmem = 256 * N * r;
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLen, { N, r, p, maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, CURRENT);
  return `scrypt$${CURRENT.N}$${CURRENT.r}$${CURRENT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** The parameters of a stored hash, or null when it is not one Tandem would have written. */
function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a tampered row from asking for gigabytes or minutes of work.
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N < 1 << 14 || N > 1 << 20 || !(r >= 1 && r <= 16) || !(p >= 1 && p <= 4)) return null;
  if (!Number.isInteger(r) || !Number.isInteger(p)) return null;
  return { params: { N, r, p }, salt: Buffer.from(parts[4]!, "base64url"), key: Buffer.from(parts[5]!, "base64url") };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const h = parse(stored);
  if (!h) return false;
  const key = await scryptAsync(password, h.salt, h.params);
  return key.length === h.key.length && timingSafeEqual(key, h.key);
}

/** True when a stored hash was made at other parameters than today's: rehash it on sign-in. */
export function needsRehash(stored: string): boolean {
  const h = parse(stored);
  return !h || h.params.N !== CURRENT.N || h.params.r !== CURRENT.r || h.params.p !== CURRENT.p;
}

/** A hash of a password nobody has, so unknown users cost the same time as known ones. */
let dummy: Promise<string> | null = null;
export const dummyHash = () => (dummy ??= hashPassword(randomBytes(16).toString("hex")));

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
export const randomSecret = (bytes = 32) => randomBytes(bytes).toString("base64url");
