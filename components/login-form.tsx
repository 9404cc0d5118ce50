"use client";
// Sign-in form: posts credentials, keeps the CSRF token, then goes where the user was headed.
import { useRouter, useSearchParams } from "next/navigation";
import { safeNext } from "./auth/safe-next";
import { useState, type FormEvent } from "react";
import { LoginResponse } from "@/server/contract";
import { api, ApiError, setCsrfToken } from "./api/client";

export function LoginForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const res = LoginResponse.parse(
        await api("POST", "/api/v1/session", { username: form.get("username"), password: form.get("password") }),
      );
      setCsrfToken(res.csrfToken);
      const next = params.get("next");
      router.replace(safeNext(next, window.location.origin));
      router.refresh();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "could not reach Tandem");
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4">
      <label className="block text-sm">
        <span className="mb-1 block font-medium">User name</span>
        <input name="username" autoComplete="username" required autoFocus className="input" defaultValue="admin" />
      </label>
      <label className="block text-sm">
        <span className="mb-1 block font-medium">Password</span>
        <input name="password" type="password" autoComplete="current-password" required className="input" />
      </label>
      {error && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy} className="btn-primary w-full">
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
