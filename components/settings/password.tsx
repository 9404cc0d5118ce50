"use client";
// Change your own password. The server signs out your other sessions and revokes all your API
// tokens; the confirmation says so (with how many tokens) before anything changes, and the
// message afterwards says what happened.
import { useState, type FormEvent } from "react";
import { ChangePasswordBody } from "@/server/contract";
import { errorMessage } from "../api/client";
import { changePassword, listTokens } from "../api/auth";
import { ConfirmDialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { useNotify } from "../ui/toaster";

const tokensText = (n: number) => (n === 1 ? "your API token" : `your ${n} API tokens`);

export function Password({ onChanged }: { onChanged?: () => void }) {
  const notify = useNotify();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  /** Set while the confirmation is shown: how many working tokens will be revoked. */
  const [confirming, setConfirming] = useState<{ tokens: number } | null>(null);

  async function ask(e: FormEvent) {
    e.preventDefault();
    const body = ChangePasswordBody.safeParse({ current, next });
    if (!body.success) return setError(body.error.issues[0]?.message);
    setError(undefined);
    const tokens = await listTokens().then(
      (l) => l.length,
      () => 0,
    );
    setConfirming({ tokens });
  }

  async function submit() {
    setBusy(true);
    try {
      await changePassword(current, next);
      const tokens = confirming?.tokens ?? 0;
      setCurrent("");
      setNext("");
      notify(
        tokens > 0
          ? `Password changed; your other sessions were signed out and ${tokensText(tokens)} revoked`
          : "Password changed; your other sessions were signed out",
        "success",
      );
      onChanged?.();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  }

  return (
    <section id="password" className="card space-y-3 p-4" aria-labelledby="password-heading">
      <h2 id="password-heading" className="font-semibold">
        Password
      </h2>
      <p className="muted text-sm">Changing it signs out your other sessions and revokes all your API tokens.</p>
      <form onSubmit={ask} className="flex flex-wrap items-end gap-3">
        <Field label="Current password" className="min-w-48 flex-1">
          <input
            className="input"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </Field>
        <Field label="New password" error={error} className="min-w-48 flex-1">
          <input
            className="input"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </Field>
        <button type="submit" className="btn-primary" disabled={busy}>
          Change password
        </button>
      </form>
      <ConfirmDialog
        open={confirming !== null}
        title="Change your password?"
        confirmLabel="Change password"
        busy={busy}
        onConfirm={() => void submit()}
        onClose={() => setConfirming(null)}
      >
        <p>
          Your other sessions will be signed out
          {confirming && confirming.tokens > 0 ? (
            <>
              {" "}
              and <strong>{tokensText(confirming.tokens)}</strong> revoked: scripts using{" "}
              {confirming.tokens === 1 ? "it" : "them"} stop working until you make new ones.
            </>
          ) : (
            "."
          )}
        </p>
      </ConfirmDialog>
    </section>
  );
}
