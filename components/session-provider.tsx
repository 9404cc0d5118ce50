"use client";
// Who is signed in, and the CSRF token for writes (re-read after a page reload).
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { Me } from "@/server/contract";
import { api, setCsrfToken } from "./api";

const SessionContext = createContext<Me | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    api<{ user: Me; csrfToken: string | null }>("GET", "/api/v1/session")
      .then((r) => {
        setCsrfToken(r.csrfToken);
        setMe(r.user);
      })
      .catch(() => router.replace("/login"));
  }, [router]);
  return <SessionContext.Provider value={me}>{children}</SessionContext.Provider>;
}

export const useMe = () => useContext(SessionContext);
