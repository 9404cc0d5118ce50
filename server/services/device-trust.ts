// Device cookies (OWASP's "slow down online guessing attacks with device cookies"): a browser
// that has signed in as a user gets a signed cookie naming that user. Its later sign-ins as that
// user are limited only by their own failures, so an attacker who fails on purpose slows down
// strangers trying the name, never the owner's own browser. The value is `<nonce>.<mac>` with
// mac = HMAC-SHA256(key, lower(username) "\n" nonce); the key lives in the data directory, so a
// restart keeps devices trusted.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";

export const DEVICE_COOKIE = "tandem_device";
/** A device stays trusted this long after its last successful sign-in. */
export const DEVICE_TTL_MS = 365 * 86_400_000;

export class DeviceTrust {
  constructor(
    private readonly key: Buffer,
    /** False when the key could not be stored: devices are trusted until the next restart only. */
    readonly persistent = true,
  ) {}

  /**
   * Reads the signing key from `file`, creating it (0600, never replaced) on first start. A key
   * that cannot be stored (a full or read-only disk) is kept in memory rather than stopping
   * Tandem: the cost is that browsers are strangers again after a restart.
   */
  static async load(file: string): Promise<DeviceTrust> {
    try {
      return new DeviceTrust(await readFile(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const key = randomBytes(32);
    try {
      await writeFile(file, key, { mode: 0o600, flag: "wx" });
    } catch (e) {
      // Another start won the race: use its key. Anything else: this process's key only.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") return new DeviceTrust(key, false);
    }
    return new DeviceTrust(await readFile(file));
  }

  issue(username: string): string {
    const nonce = randomBytes(16).toString("base64url");
    return `${nonce}.${this.mac(username, nonce)}`;
  }

  /** The device's id when the cookie vouches for this user name; null otherwise. */
  verify(cookie: string | undefined, username: string): string | null {
    if (!cookie || cookie.length > 200) return null;
    const [nonce, mac, extra] = cookie.split(".");
    if (!nonce || !mac || extra !== undefined) return null;
    const want = Buffer.from(this.mac(username, nonce));
    const got = Buffer.from(mac);
    return want.length === got.length && timingSafeEqual(want, got) ? nonce : null;
  }

  private mac(username: string, nonce: string): string {
    return createHmac("sha256", this.key).update(`${username.toLowerCase()}\n${nonce}`).digest("base64url");
  }
}
