"use client";
// A guest's inbound firewall rules, in order (the first match decides), on top of Tandem's
// default: everything out, nothing in but forwards and replies. Saved as a whole (PUT).
import { useState } from "react";
import type { FirewallRule, Guest } from "@/server/contract";
import { errorMessage } from "../api/client";
import { putFirewall } from "../api/guest-network";
import { Field } from "../ui/field";
import { useNotify } from "../ui/toaster";
import { draftOfRule, moveRow, validateRules, type RuleDraft } from "./firewall-model";

export function FirewallSection({
  guest,
  rules,
  canOperate,
}: {
  guest: Guest;
  rules: FirewallRule[];
  canOperate: boolean;
}) {
  const notify = useNotify();
  const [rows, setRows] = useState<RuleDraft[]>(() => rules.map(draftOfRule));
  const [saved, setSaved] = useState(() => JSON.stringify(rules.map(draftOfRule)));
  const [errors, setErrors] = useState<Record<number, string>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(rows) !== saved;
  const setRow = (i: number, p: Partial<RuleDraft>) => setRows((r) => r.map((x, j) => (j === i ? { ...x, ...p } : x)));

  async function save() {
    const v = validateRules(rows);
    setErrors(v.errors);
    setServerError(null);
    if (!v.rules) return;
    setBusy(true);
    try {
      const stored = await putFirewall(guest.id, v.rules);
      const drafts = stored.map(draftOfRule);
      setRows(drafts);
      setSaved(JSON.stringify(drafts));
      notify(`Saved ${guest.name}'s firewall`, "success");
    } catch (e) {
      setServerError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card p-4 text-sm" aria-labelledby="firewall-heading">
      <h2 id="firewall-heading" className="mb-1 font-semibold">
        Firewall (inbound)
      </h2>
      <p className="muted mb-3">
        By default everything goes out and nothing comes in but port forwards and replies. Rules below are checked in
        order; the first that matches decides.
      </p>
      <fieldset disabled={!canOperate || busy} className="space-y-2">
        <legend className="sr-only">Rules</legend>
        {rows.length === 0 && <p className="muted">No rules.</p>}
        {rows.map((r, i) => (
          <div key={i} className="flex flex-wrap items-start gap-2" data-rule={i + 1}>
            <Field label={`Rule ${i + 1} action`} className="w-28">
              <select
                className="input"
                value={r.action}
                onChange={(e) => setRow(i, { action: e.target.value as RuleDraft["action"] })}
              >
                <option value="allow">allow</option>
                <option value="deny">deny</option>
              </select>
            </Field>
            <Field label={`Rule ${i + 1} protocol`} className="w-28">
              <select
                className="input"
                value={r.protocol}
                onChange={(e) => setRow(i, { protocol: e.target.value as RuleDraft["protocol"] })}
              >
                <option value="tcp">tcp</option>
                <option value="udp">udp</option>
                <option value="icmp">icmp</option>
                <option value="any">any</option>
              </select>
            </Field>
            <Field label={`Rule ${i + 1} ports`} className="w-32">
              <input
                className="input font-mono"
                value={r.ports}
                placeholder="all"
                disabled={r.protocol === "icmp" || r.protocol === "any"}
                onChange={(e) => setRow(i, { ports: e.target.value })}
              />
            </Field>
            <Field label={`Rule ${i + 1} source`} className="min-w-40 flex-1" error={errors[i]}>
              <input
                className="input font-mono"
                value={r.source}
                placeholder="any"
                onChange={(e) => setRow(i, { source: e.target.value })}
              />
            </Field>
            <div className="mt-6 flex gap-1">
              <button
                type="button"
                className="btn"
                aria-label={`Move rule ${i + 1} up`}
                disabled={i === 0}
                onClick={() => setRows((x) => moveRow(x, i, -1))}
              >
                ↑
              </button>
              <button
                type="button"
                className="btn"
                aria-label={`Move rule ${i + 1} down`}
                disabled={i === rows.length - 1}
                onClick={() => setRows((x) => moveRow(x, i, 1))}
              >
                ↓
              </button>
              <button
                type="button"
                className="btn"
                aria-label={`Remove rule ${i + 1}`}
                onClick={() => setRows((x) => x.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </div>
          </div>
        ))}
        {canOperate && (
          <div className="flex gap-2 pt-1">
            <button
              type="button"
              className="btn"
              onClick={() => setRows((x) => [...x, { action: "allow", protocol: "tcp", ports: "", source: "" }])}
            >
              Add a rule
            </button>
            <button type="button" className="btn-primary" disabled={!dirty} onClick={save}>
              {busy ? "Saving…" : "Save rules"}
            </button>
          </div>
        )}
        {errors[-1] && <p className="text-red-600">{errors[-1]}</p>}
        {serverError && (
          <p role="alert" className="text-red-600 dark:text-red-400">
            {serverError}
          </p>
        )}
      </fieldset>
    </section>
  );
}
