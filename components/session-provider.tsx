"use client";
// Who is signed in, and the CSRF token for writes (re-read after a page reload).
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { hasRole, type Me, type Role } from "@/server/contract";
import { getSession } from "./api/auth";
import { setCsrfToken } from "./api/client";

const SessionContext = createContext<Me | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => {
    getSession()
      .then((r) => {
        setCsrfToken(r.csrfToken);
        setMe(r.user);
      })
      .catch(() => router.replace(`/login?next=${encodeURIComponent(location.pathname)}`));
  }, [router]);
  return <SessionContext.Provider value={me}>{children}</SessionContext.Provider>;
}

export const useMe = () => useContext(SessionContext);

/** Whether the signed-in user has at least `role` (false until the session is known). */
export function useHasRole(role: Role): boolean {
  const me = useMe();
  return me ? hasRole(me.role, role) : false;
}
