// IPv4 and IPv6 address arithmetic for network validation: parse addresses and CIDRs into
// integers (bigint for both families, so one set of comparisons serves both), containment and
// overlap. Pure; the syntax itself was already checked by the contract's zod formats.
import { isIPv4, isIPv6 } from "node:net";

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  /** The address as written (host bits may be set; see hostBitsSet). */
  addr: bigint;
  prefix: number;
  /** First and last address of the block. */
  first: bigint;
  last: bigint;
  text: string;
}

const bitsOf = (f: Family) => (f === 4 ? 32 : 128);

function v4(text: string): bigint {
  return text.split(".").reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function v6(text: string): bigint {
  let s = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const n = v4(tail[1]!);
    s = `${s.slice(0, -tail[1]!.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = s.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = rest === undefined ? [] : rest ? rest.split(":") : [];
  const fill = rest === undefined ? [] : Array<string>(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].reduce((n, part) => (n << 16n) | BigInt(parseInt(part, 16)), 0n);
}

export function parseIp(text: string): Ip | null {
  if (isIPv4(text)) return { family: 4, value: v4(text) };
  if (isIPv6(text)) return { family: 6, value: v6(text) };
  return null;
}

export function parseCidr(text: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return null;
  const ip = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (!ip || prefix > bitsOf(ip.family)) return null;
  const size = 1n << BigInt(bitsOf(ip.family) - prefix);
  const first = ip.value & ~(size - 1n) & ((1n << BigInt(bitsOf(ip.family))) - 1n);
  return { family: ip.family, addr: ip.value, prefix, first, last: first + size - 1n, text };
}

export const hostBitsSet = (c: Cidr) => c.addr !== c.first;

export const contains = (c: Cidr, ip: Ip) => c.family === ip.family && ip.value >= c.first && ip.value <= c.last;

export const overlaps = (a: Cidr, b: Cidr) => a.family === b.family && a.first <= b.last && b.first <= a.last;

export function formatIp(family: Family, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const parts = Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The longest run of zero hextets becomes "::" (RFC 5952).
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (parts[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === "0") j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return parts.join(":");
  return `${parts.slice(0, best.at).join(":")}::${parts.slice(best.at + best.len).join(":")}`;
}

/** The block in canonical form: network address / prefix. */
export const canonical = (c: Cidr) => `${formatIp(c.family, c.first)}/${c.prefix}`;

/** Address ranges no guest network may use (RFC 6890 special purpose, by family). */
export const RESERVED: readonly { cidr: string; what: string }[] = [
  { cidr: "0.0.0.0/8", what: "'this network'" },
  { cidr: "127.0.0.0/8", what: "loopback" },
  { cidr: "169.254.0.0/16", what: "link-local" },
  { cidr: "224.0.0.0/4", what: "multicast" },
  { cidr: "240.0.0.0/4", what: "reserved" },
  { cidr: "::/8", what: "loopback, unspecified and IPv4-mapped" },
  { cidr: "fe80::/10", what: "link-local" },
  { cidr: "ff00::/8", what: "multicast" },
];
