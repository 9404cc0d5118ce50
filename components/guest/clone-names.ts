// Names for "clone N with a pattern": {n} counts from the start number; without {n}, one clone
// takes the pattern as is and more get "-1", "-2"… appended.
import { GuestName } from "@/server/contract";

export function cloneNames(pattern: string, count: number, start = 1): string[] {
  const p = pattern.trim();
  if (count <= 1 && !p.includes("{n}")) return [p];
  const withN = p.includes("{n}") ? p : `${p}-{n}`;
  return Array.from({ length: count }, (_, i) => withN.replaceAll("{n}", String(start + i)));
}

/** The first problem with the generated names, or null. */
export function cloneNamesError(names: string[], taken: Set<string>): string | null {
  for (const n of names) {
    const r = GuestName.safeParse(n);
    if (!r.success) return `${n || "(empty)"}: ${r.error.issues[0]?.message ?? "invalid"}`;
    if (taken.has(n)) return `${n} already exists`;
  }
  return new Set(names).size === names.length ? null : "the pattern gives the same name twice";
}
