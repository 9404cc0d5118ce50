"use client";
// The dashboard frame: navigation, the signed-in user, the disconnected banner.
import Link from "next/link";
import { useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { api, setCsrfToken } from "./api";
import { SocketProvider, useSocket } from "./realtime/socket-provider";
import { SessionProvider, useMe } from "./session-provider";

function DisconnectedBanner() {
  const { socket, connected } = useSocket();
  if (!socket || connected) return null;
  return (
    <div role="status" className="bg-amber-500 px-4 py-1.5 text-center text-sm font-medium text-black">
      Connection to Tandem lost — reconnecting…
    </div>
  );
}

function UserMenu() {
  const me = useMe();
  const router = useRouter();
  async function signOut() {
    await api("DELETE", "/api/v1/session").catch(() => {});
    setCsrfToken(null);
    router.replace("/login");
  }
  if (!me) return null;
  return (
    <div className="flex items-center gap-3 text-sm">
      <span className="text-zinc-500">
        {me.username} <span className="rounded bg-zinc-200 px-1.5 py-0.5 text-xs dark:bg-zinc-800">{me.role}</span>
      </span>
      <button className="btn" onClick={signOut}>
        Sign out
      </button>
    </div>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  return (
    <SessionProvider>
      <SocketProvider>
        <DisconnectedBanner />
        <header className="flex items-center justify-between border-b border-zinc-200 px-4 py-3 dark:border-zinc-800">
          <nav aria-label="Main" className="flex items-center gap-4 text-sm">
            <Link href="/" className="text-base font-semibold">
              Tandem
            </Link>
            <Link href="/" className="hover:underline">
              Guests
            </Link>
          </nav>
          <UserMenu />
        </header>
        <main className="p-4">{children}</main>
      </SocketProvider>
    </SessionProvider>
  );
}
