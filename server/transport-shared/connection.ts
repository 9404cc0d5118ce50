// What the connection says about the client: its real address and whether its browser reached
// Tandem over TLS. Both come from the socket itself, or, only when the direct peer is one of the
// configured trusted proxies (TANDEM_TRUSTED_PROXIES), from the X-Forwarded-For/-Proto headers
// that proxy added (and X-Forwarded-Host, the host the browser asked for, which the WebSocket
// origin check compares with). Anyone else's forwarded headers are ignored: a client cannot pick
// the address the sign-in limiter counts against, nor make Tandem believe it came over HTTPS.
// Over TLS the session cookie is `__Host-tandem_session` (Secure, Path=/, no Domain: a sibling
// host or a plain-HTTP page cannot set or overwrite it) and responses carry HSTS; over plain HTTP
// it is `tandem_session` and nothing claims Secure.
import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import { parse as parseCookie } from "hono/utils/cookie";
import type { ClientInfo } from "../services/principal";

export type { ClientInfo };

export const HSTS_HEADER = "max-age=31536000";

/** Parses TANDEM_TRUSTED_PROXIES entries (addresses or CIDR ranges, IPv4 or IPv6). */
export function trustedProxies(entries: string[]): BlockList {
  const list = new BlockList();
  for (const raw of entries) {
    const [addr, bits, extra] = raw.split("/");
    const family = isIP(addr ?? "");
    const prefix = bits === undefined ? null : Number(bits);
    const max = family === 4 ? 32 : 128;
    if (
      !family ||
      extra !== undefined ||
      (prefix !== null && !(Number.isInteger(prefix) && prefix >= 0 && prefix <= max))
    ) {
      throw new Error(`TANDEM_TRUSTED_PROXIES: '${raw}' is not an IP address or CIDR range`);
    }
    const type = family === 4 ? "ipv4" : "ipv6";
    if (prefix === null) list.addAddress(addr!, type);
    else list.addSubnet(addr!, prefix, type);
  }
  return list;
}

const plain = (a: string) => (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a);

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6");
}

export function clientOf(req: IncomingMessage, trusted: BlockList): ClientInfo {
  const peer = plain(req.socket.remoteAddress ?? "unknown");
  const tls = (req.socket as TLSSocket).encrypted === true;
  if (!isTrusted(trusted, peer)) return { address: peer, secure: tls, host: req.headers.host };
  // Walk X-Forwarded-For from the nearest hop outwards while the hops are trusted proxies; the
  // first one that is not is the client. A malformed entry stops the walk at the last proxy.
  const hops = headerList(req.headers["x-forwarded-for"]);
  let address = peer;
  while (isTrusted(trusted, address) && hops.length) {
    const next = plain(hops.pop()!);
    if (!isIP(next)) break;
    address = next;
  }
  // The proto the nearest (trusted) proxy added is the last value.
  const proto = headerList(req.headers["x-forwarded-proto"]).pop()?.toLowerCase();
  const host = headerList(req.headers["x-forwarded-host"]).pop() ?? req.headers.host;
  return { address, secure: tls || proto === "https", host };
}

function headerList(h: string | string[] | undefined): string[] {
  const joined = Array.isArray(h) ? h.join(",") : (h ?? "");
  return joined
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A cookie's name as set and read for this client. */
export const cookieName = (base: string, secure: boolean) => (secure ? `__Host-${base}` : base);

/** The cookie's value under the name this client's transport allows (never the other one). */
export function readCookie(header: string | undefined, base: string, secure: boolean): string | undefined {
  if (!header) return undefined;
  return parseCookie(header, cookieName(base, secure))[cookieName(base, secure)];
}

/** Attributes for a cookie Tandem sets (`__Host-` requires Secure and Path=/ without Domain). */
export function cookieAttributes(secure: boolean, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: "Lax" as const, path: "/", secure, maxAge: maxAgeSeconds };
}
