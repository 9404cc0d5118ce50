"use client";
// noVNC for a VM's screen: a one-time ticket over REST, then a websocket on the same origin
// that the server proxies to the VM's RFB stream. Reconnects when the VM comes back.
import type RFB from "@novnc/novnc";
import { useEffect, useRef, useState } from "react";
import { ApiError, errorMessage } from "../api/client";
import { vncSocketUrl, vncTicket } from "../api/consoles";
import { backoff, type ConsoleStatus } from "./console-status";
import { ConsoleToolbar } from "./console-toolbar";
import { keysymOf, vncCombos } from "./keys";
import { useFullscreen } from "./use-fullscreen";
import { useKeyedState } from "../ui/use-keyed-state";

const CONNECTING: ConsoleStatus = { state: "connecting" };

export function VncConsole({
  guestId,
  guestName,
  running,
  extra,
}: {
  guestId: string;
  guestName: string;
  running: boolean;
  extra?: React.ReactNode;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<RFB | null>(null);
  const attempts = useRef(0);
  const [generation, setGeneration] = useState(0);
  const key = `${guestId}|${running}|${generation}`;
  const [current, setStatusFor] = useKeyedState<ConsoleStatus>(key, CONNECTING);
  const status: ConsoleStatus = running
    ? current
    : { state: "waiting", message: "The VM is not running — its screen connects when it starts" };
  const { fullscreen, toggle } = useFullscreen(frame);

  useEffect(() => {
    if (!running) return;
    const setStatus = (s: ConsoleStatus) => setStatusFor(key, s);
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const scheduleRetry = (message: string) => {
      const inMs = backoff(attempts.current++);
      setStatus({ state: "reconnecting", message, inMs });
      retry = setTimeout(() => setGeneration((g) => g + 1), inMs);
    };
    (async () => {
      try {
        const [{ default: RFBClass }, ticket] = await Promise.all([import("@novnc/novnc"), vncTicket(guestId)]);
        if (cancelled || !screen.current) return;
        const r = new RFBClass(screen.current, vncSocketUrl(ticket.path), { wsProtocols: ["binary"] });
        r.scaleViewport = true;
        r.background = "#09090b";
        r.addEventListener("connect", () => {
          attempts.current = 0;
          setStatus({ state: "connected" });
        });
        r.addEventListener("disconnect", () => {
          rfb.current = null;
          if (!cancelled) scheduleRetry("Screen disconnected");
        });
        r.addEventListener("securityfailure", () =>
          setStatus({ state: "error", message: "VNC security negotiation failed" }),
        );
        rfb.current = r;
      } catch (e) {
        if (cancelled) return;
        if (e instanceof ApiError && e.status === 404)
          setStatus({ state: "unavailable", message: "The graphical console is not available on this server yet." });
        else if (e instanceof ApiError && (e.status === 400 || e.status === 409))
          setStatus({ state: "unavailable", message: e.message });
        else scheduleRetry(errorMessage(e));
      }
    })();
    return () => {
      cancelled = true;
      clearTimeout(retry);
      rfb.current?.disconnect();
      rfb.current = null;
    };
  }, [guestId, running, key, setStatusFor]);

  function type(text: string) {
    const r = rfb.current;
    if (!r) return;
    for (const ch of text.replace(/\r\n/g, "\n")) r.sendKey(keysymOf(ch), null);
  }
  function combo(label: string) {
    const r = rfb.current;
    if (!r) return;
    if (label === "Ctrl+Alt+Del") r.sendCtrlAltDel();
    const c = vncCombos.find((x) => x.label === label);
    if (c) {
      for (const k of c.keys) r.sendKey(k, null, true);
      for (const k of [...c.keys].reverse()) r.sendKey(k, null, false);
    }
    r.focus();
  }

  return (
    <div
      ref={frame}
      data-console="vnc"
      className={`flex flex-col gap-2 ${fullscreen ? "bg-zinc-950 p-2 text-zinc-100" : ""}`}
    >
      <ConsoleToolbar
        status={status}
        onPaste={type}
        keys={["Ctrl+Alt+Del", ...vncCombos.map((c) => c.label)]}
        onKey={combo}
        extra={
          <>
            {extra}
            <button
              type="button"
              className="btn"
              disabled={status.state !== "connected"}
              onClick={() => combo("Ctrl+Alt+Del")}
            >
              Ctrl+Alt+Del
            </button>
          </>
        }
        onFullscreen={toggle}
        onReconnect={() => {
          attempts.current = 0;
          setGeneration((g) => g + 1);
        }}
      />
      <div
        ref={screen}
        data-vnc
        role="application"
        aria-label={`Screen of ${guestName}`}
        className={`overflow-hidden rounded-lg bg-zinc-950 ${fullscreen ? "flex-1" : "h-[65vh] min-h-72"}`}
      />
    </div>
  );
}
