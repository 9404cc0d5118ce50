"use client";
// Shown while the socket is down: live data is stale until it comes back and resyncs.
import { useEffect, useRef, useState } from "react";
import { useSocket } from "../realtime/socket-provider";

export function DisconnectedBanner() {
  const { socket, connected, everConnected, attempt, reconnectNow } = useSocket();
  const [resynced, setResynced] = useState(false);
  const wasDown = useRef(false);
  useEffect(() => {
    if (!connected) {
      // Only a loss after a first connection counts; the initial connect is not a "reconnect".
      if (everConnected) wasDown.current = true;
      return;
    }
    if (!wasDown.current) return;
    wasDown.current = false;
    setResynced(true);
    const t = setTimeout(() => setResynced(false), 3000);
    return () => clearTimeout(t);
  }, [connected, everConnected]);
  if (!socket || !everConnected) return null;
  if (connected)
    return resynced ? (
      <div role="status" className="bg-emerald-600 px-4 py-1 text-center text-sm font-medium text-white">
        Reconnected — everything is up to date.
      </div>
    ) : null;
  return (
    <div
      role="alert"
      className="flex flex-wrap items-center justify-center gap-3 bg-amber-500 px-4 py-1.5 text-center text-sm font-medium text-black"
    >
      <span>
        Connection to Tandem lost — reconnecting{attempt > 0 ? ` (attempt ${attempt})` : ""}… Live data is paused.
      </span>
      <button
        type="button"
        onClick={reconnectNow}
        className="rounded border border-black/40 px-2 py-0.5 hover:bg-black/10"
      >
        Retry now
      </button>
    </div>
  );
}
