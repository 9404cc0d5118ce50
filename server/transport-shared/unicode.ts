// JSON may carry `\ud800`-style escapes that decode to unpaired surrogates: not Unicode text, and
// the database layer fails on them (a 500 before this check). Refused as invalid input instead.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isWellFormed = (s: string) => !LONE_SURROGATE.test(s);

/** True when every string (values and keys) in a parsed JSON value is well-formed UTF-16. */
export function isWellFormedDeep(value: unknown): boolean {
  // Iterative: JSON.parse accepts nesting far deeper than the call stack would.
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (!isWellFormed(v)) return false;
    } else if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      continue; // binary (console input): no strings inside
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (!isWellFormed(k)) return false;
        stack.push(x);
      }
    }
  }
  return true;
}
