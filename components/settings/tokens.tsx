"use client";
// API tokens: create one (its secret is shown once, here), list and revoke. Every token expires
// (the server's default lifetime unless a number of days is given); a password change revokes
// them all, so the list reloads when `version` changes.
import { useEffect, useState, type FormEvent } from "react";
import { CreateTokenBody, type ApiTokenInfo } from "@/server/contract";
import { errorMessage } from "../api/client";
import { createToken, listTokens, revokeToken } from "../api/auth";
import { ConfirmDialog, Dialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { formatAgo, formatDateTime } from "../ui/format";
import { useNotify } from "../ui/toaster";

export function Tokens({ version = 0 }: { version?: number }) {
  const notify = useNotify();
  const [tokens, setTokens] = useState<ApiTokenInfo[] | null>(null);
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiTokenInfo | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    listTokens().then(setTokens, (e) => notify(`Could not list tokens: ${errorMessage(e)}`, "error"));
  }, [notify, version]);

  async function create(e: FormEvent) {
    e.preventDefault();
    const body = CreateTokenBody.safeParse({ name: name.trim(), expiresInDays: days ? Number(days) : undefined });
    if (!body.success) return setError(body.error.issues[0]?.message);
    setError(undefined);
    try {
      const r = await createToken(body.data.name, body.data.expiresInDays);
      setTokens((l) => [...(l ?? []), r.info]);
      setSecret({ name: r.info.name, token: r.token });
      setCopied(false);
      setName("");
      setDays("");
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  async function revoke() {
    if (!revoking) return;
    try {
      await revokeToken(revoking.id);
      setTokens((l) => l?.filter((t) => t.id !== revoking.id) ?? null);
    } catch (e) {
      notify(`Could not revoke: ${errorMessage(e)}`, "error");
    }
    setRevoking(null);
  }

  return (
    <section id="tokens" className="card space-y-3 p-4" aria-labelledby="tokens-heading" aria-busy={tokens === null}>
      <h2 id="tokens-heading" className="font-semibold">
        API tokens
      </h2>
      <p className="muted text-sm">
        For scripts and Prometheus: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts with your role,
        expires on the date shown, and is revoked when your password changes.
      </p>
      <form onSubmit={create} className="flex flex-wrap items-end gap-3">
        <Field label="Token name" error={error} className="min-w-48 flex-1">
          <input className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="prometheus" />
        </Field>
        <Field label="Expires after (days)" className="w-44">
          <input
            className="input"
            type="number"
            min={1}
            max={3650}
            placeholder="server default"
            value={days}
            onChange={(e) => setDays(e.target.value)}
          />
        </Field>
        <button type="submit" className="btn-primary">
          Create token
        </button>
      </form>
      {tokens?.length === 0 && <p className="muted text-sm">No API tokens yet.</p>}
      {tokens && tokens.length > 0 && (
        <table className="w-full text-sm">
          <caption className="sr-only">Your API tokens</caption>
          <thead className="muted text-left text-xs">
            <tr>
              <th className="py-1">Name</th>
              <th>Prefix</th>
              <th className="hidden sm:table-cell">Last used</th>
              <th className="hidden sm:table-cell">Expires</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id} className="border-t border-zinc-100 dark:border-zinc-800">
                <td className="py-1.5 font-medium">{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td className="muted hidden sm:table-cell">{t.lastUsedAt ? formatAgo(t.lastUsedAt) : "never"}</td>
                <td className="muted hidden sm:table-cell">{formatDateTime(t.expiresAt)}</td>
                <td className="text-right">
                  <button type="button" className="btn" onClick={() => setRevoking(t)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Dialog open={secret !== null} onClose={() => setSecret(null)} title={`Token "${secret?.name}" created`}>
        <div className="space-y-3 text-sm">
          <p>Copy it now: it is shown only this once and cannot be read again.</p>
          <input
            readOnly
            aria-label="New API token"
            className="input font-mono text-xs"
            value={secret?.token ?? ""}
            onFocus={(e) => e.currentTarget.select()}
          />
          <div className="flex justify-end gap-2">
            <button
              type="button"
              className="btn"
              onClick={() =>
                secret &&
                navigator.clipboard?.writeText(secret.token).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" className="btn-primary" onClick={() => setSecret(null)}>
              Done
            </button>
          </div>
        </div>
      </Dialog>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke ${revoking?.name}?`}
        confirmLabel="Revoke"
        danger
        onConfirm={revoke}
        onClose={() => setRevoking(null)}
      >
        <p>Anything using it stops working at once.</p>
      </ConfirmDialog>
    </section>
  );
}
