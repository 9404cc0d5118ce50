"use client";
// The signed-in user, their role, and sign-out.
import { useRouter } from "next/navigation";
import { signOut } from "../api/auth";
import { setCsrfToken } from "../api/client";
import { useMe } from "../session-provider";

export function UserMenu({ compact = false }: { compact?: boolean }) {
  const me = useMe();
  const router = useRouter();
  async function onSignOut() {
    await signOut().catch(() => {});
    setCsrfToken(null);
    router.replace("/login");
  }
  if (!me) return null;
  return (
    <div className="flex items-center gap-2 text-sm">
      <span className={compact ? "sr-only" : "muted hidden items-center gap-1.5 lg:flex"}>
        {me.username} <span className="chip">{me.role}</span>
      </span>
      <button type="button" className="btn" onClick={onSignOut}>
        Sign out
      </button>
    </div>
  );
}
