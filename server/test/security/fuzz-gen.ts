// A seeded generator of hostile input (no fast-check): every case is a pure function of
// (seed, index), so a failure names its index and can be replayed alone. Values cover wrong
// types, huge and empty strings, unicode oddities, prototype-pollution keys, huge and NaN-like
// numbers, deep nesting, and arrays where objects are expected.

/** mulberry32: small, fast, good enough for test input. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One independent stream per case: replaying case i needs only (seed, i). */
export function caseRng(seed: number, index: number): Rng {
  return new Rng(prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0));
}

export class Rng {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
}

export const POLLUTION_KEYS = ["__proto__", "constructor", "prototype", "__defineGetter__", "toString", "valueOf"];

const STRINGS = [
  "",
  " ",
  "\u0000",
  "\u0000admin",
  "\ud800",
  "\udfff\ud800",
  "\u202eevil",
  "\ufeff",
  "💥🧨",
  "Z̸̡̛̩̗͇a̶l̷g̵o",
  "ｆｕｌｌｗｉｄｔｈ",
  "NaN",
  "Infinity",
  "-Infinity",
  "-0",
  "0x10",
  "1e309",
  "-1e309",
  "9007199254740993",
  "true",
  "null",
  "undefined",
  "[object Object]",
  "__proto__",
  "constructor",
  "../../../../etc/passwd",
  "..\\..\\windows",
  "/dev/zero",
  "%00",
  "%2e%2e%2f",
  "<domain><name>x</name></domain>",
  "]]><!--",
  "&amp;&lt;",
  "'; DROP TABLE users; --",
  '" OR 1=1 --',
  "$(reboot)",
  "`id`",
  "; rm -rf / #",
  "|| true",
  "${jndi:ldap://x}",
  "{{7*7}}",
  "\r\nSet-Cookie: x=1",
  "local.vm.",
  "local.container.x",
  "local.vm.00000000-0000-0000-0000-000000000000",
  "remote.vm.x",
  "a".repeat(64),
  "a".repeat(201),
  "start",
  "running",
  "admin",
  "demo-vm",
  "demo-busybox",
];

const NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  0.1,
  15,
  16,
  63,
  64,
  256,
  257,
  65535,
  65536,
  2 ** 31,
  -(2 ** 31),
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_VALUE,
  1e21,
  123456789012345680000,
];

export function randomString(r: Rng): string {
  switch (r.int(0, 5)) {
    case 0:
      return r.pick(STRINGS);
    case 1: {
      // Random code points, including astral and lone surrogates.
      const n = r.int(0, 40);
      let s = "";
      for (let i = 0; i < n; i++) {
        const cp = r.chance(0.7) ? r.int(0x20, 0x7e) : r.chance(0.5) ? r.int(0x80, 0xffff) : r.int(0x10000, 0x10ffff);
        s += String.fromCodePoint(cp);
      }
      return s;
    }
    case 2:
      return r.pick(STRINGS) + r.pick(STRINGS);
    case 3:
      return r.pick(["x", "é", "💥", "\u0000", "a-"]).repeat(r.pick([100, 1000, 65_537, 200_000]));
    case 4:
      return `name-${r.int(0, 1e6)}`;
    default:
      return r.pick(POLLUTION_KEYS);
  }
}

export function randomNumber(r: Rng): number {
  return r.chance(0.6) ? r.pick(NUMBERS) : (r.next() - 0.5) * 10 ** r.int(0, 30);
}

/** Any JSON value, biased towards the odd ones. */
export function randomValue(r: Rng, depth = 0): unknown {
  const k = r.int(0, depth > 4 ? 5 : 9);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
    case 3:
      return randomNumber(r);
    case 4:
    case 5:
      return randomString(r);
    case 6:
    case 7: {
      const n = r.int(0, 6);
      return Array.from({ length: n }, () => randomValue(r, depth + 1));
    }
    default:
      return randomObject(r, depth + 1);
  }
}

export function randomObject(r: Rng, depth = 0): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = r.int(0, 6);
  for (let i = 0; i < n; i++) {
    const key = r.chance(0.2) ? r.pick(POLLUTION_KEYS) : randomString(r).slice(0, 50);
    // defineProperty: a real own "__proto__" key, as JSON.parse would produce.
    Object.defineProperty(o, key, {
      value: randomValue(r, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

/** A structure nested `depth` levels, as JSON text (built without recursion). */
export function deepJson(r: Rng, depth: number): string {
  const open = r.chance(0.5) ? "[" : '{"a":';
  const close = open === "[" ? "]" : "}";
  return open.repeat(depth) + (r.chance(0.5) ? "1" : '"x"') + close.repeat(depth);
}

/** A mutation of a valid object: a field replaced, removed, doubled or a hostile key added. */
export function mutate(r: Rng, valid: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = { ...valid };
  const keys = Object.keys(o);
  const steps = r.int(1, 3);
  for (let i = 0; i < steps; i++) {
    const key = keys.length ? r.pick(keys) : "x";
    switch (r.int(0, 5)) {
      case 0:
        o[key] = randomValue(r);
        break;
      case 1:
        delete o[key];
        break;
      case 2:
        o[key] = [o[key], o[key]];
        break;
      case 3:
        o[key] = r.pick([randomString(r), randomNumber(r), null, {}, [], true]);
        break;
      case 4:
        Object.defineProperty(o, r.pick(POLLUTION_KEYS), {
          value: r.chance(0.5) ? { polluted: "yes", isAdmin: true, role: "admin" } : randomValue(r),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        break;
      default:
        o[randomString(r).slice(0, 30)] = randomValue(r);
    }
  }
  return o;
}

/** JSON text of a value that may hold own `__proto__` keys (JSON.stringify keeps them). */
export function toJson(v: unknown): string {
  return JSON.stringify(v);
}
