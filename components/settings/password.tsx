"use client";
// Change your own password. Your other sessions are signed out by the server.
import { useState, type FormEvent } from "react";
import { ChangePasswordBody } from "@/server/contract";
import { errorMessage } from "../api/client";
import { changePassword } from "../api/auth";
import { Field } from "../ui/field";
import { useNotify } from "../ui/toaster";

export function Password() {
  const notify = useNotify();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const body = ChangePasswordBody.safeParse({ current, next });
    if (!body.success) return setError(body.error.issues[0]?.message);
    setError(undefined);
    setBusy(true);
    try {
      await changePassword(body.data.current, body.data.next);
      setCurrent("");
      setNext("");
      notify("Password changed; your other sessions were signed out", "success");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section id="password" className="card space-y-3 p-4" aria-labelledby="password-heading">
      <h2 id="password-heading" className="font-semibold">
        Password
      </h2>
      <form onSubmit={submit} className="flex flex-wrap items-end gap-3">
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
    </section>
  );
}
