"use client";
// The host summary from REST: read on mount and on every reconnect, refreshed every 30 s
// while the tab is visible (free memory and disk change slowly; CPU is live elsewhere).
import { useEffect, useState } from "react";
import type { HostInfo } from "@/server/contract";
import { errorMessage } from "../api/client";
import { getHost } from "../api/host";
import { useSocket } from "../realtime/socket-provider";

export function useHost(): { host: HostInfo | null; error: string | null } {
  const { connected } = useSocket();
  const [host, setHost] = useState<HostInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const load = async () => {
      if (document.visibilityState === "visible") {
        try {
          const h = await getHost();
          if (live) {
            setHost(h);
            setError(null);
          }
        } catch (e) {
          if (live) setError(errorMessage(e));
        }
      }
      if (live) timer = setTimeout(load, 30_000);
    };
    void load();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [connected]);
  return { host, error };
}
