// The firewall editor's rows as typed (strings) and how they become the contract's rules; the
// first matching rule decides, so order is kept.
import { FirewallBody, type FirewallRule } from "@/server/contract";

export type RuleDraft = {
  action: FirewallRule["action"];
  protocol: FirewallRule["protocol"];
  /** "", "80" or "8000-8100". */
  ports: string;
  /** "", an address or a CIDR. */
  source: string;
};

export const draftOfRule = (r: FirewallRule): RuleDraft => ({
  action: r.action,
  protocol: r.protocol,
  ports: r.ports ? (r.ports.start === r.ports.end ? String(r.ports.start) : `${r.ports.start}-${r.ports.end}`) : "",
  source: r.source ?? "",
});

function portsOf(s: string): unknown {
  const t = s.trim();
  if (t === "") return undefined;
  const m = /^(\d+)\s*(?:-\s*(\d+))?$/.exec(t);
  if (!m) return { start: NaN, end: NaN };
  return { start: Number(m[1]), end: Number(m[2] ?? m[1]) };
}

export const ruleBody = (d: RuleDraft) => ({
  action: d.action,
  protocol: d.protocol,
  ports: portsOf(d.ports),
  source: d.source.trim() || undefined,
});

/** The rules to PUT, or a message per row ("rule 2: …") naming what is wrong. */
export function validateRules(rows: RuleDraft[]): { rules: FirewallRule[] | null; errors: Record<number, string> } {
  const errors: Record<number, string> = {};
  rows.forEach((r, i) => {
    if (r.ports.trim() && (r.protocol === "icmp" || r.protocol === "any"))
      errors[i] = "ports apply to tcp and udp only";
  });
  const parsed = FirewallBody.safeParse({ rules: rows.map(ruleBody) });
  if (!parsed.success)
    for (const issue of parsed.error.issues) {
      const [, row, field] = issue.path;
      if (typeof row === "number") errors[row] ??= `${String(field ?? "rule")}: ${issue.message}`;
      else errors[-1] ??= issue.message;
    }
  return { rules: parsed.success && Object.keys(errors).length === 0 ? parsed.data.rules : null, errors };
}

/** Moves row i by delta (-1 up, +1 down), keeping the others in order. */
export function moveRow<T>(rows: T[], i: number, delta: number): T[] {
  const j = i + delta;
  if (j < 0 || j >= rows.length) return rows;
  const out = rows.slice();
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
