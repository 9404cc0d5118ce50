"use client";
// xterm.js for a VM's serial console, a container's TTY, or a shell exec'd in a container.
import type { Terminal } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "react";
import { ConsoleToolbar } from "./console-toolbar";
import { asTyped, chunks, terminalKeys } from "./keys";
import { useFullscreen } from "./use-fullscreen";
import { useTerminalSession } from "./use-terminal-session";

export function TerminalConsole({
  guestId,
  guestName,
  mode,
  running,
  extra,
}: {
  guestId: string;
  guestName: string;
  mode: "serial" | "exec";
  running: boolean;
  extra?: React.ReactNode;
}) {
  const frame = useRef<HTMLDivElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const [term, setTerm] = useState<Terminal | null>(null);
  const { fullscreen, toggle } = useFullscreen(frame);
  const { status, send, reconnect } = useTerminalSession({ term, guestId, mode, running });

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    // xterm touches `window` when loaded, so it is loaded in the browser only.
    void Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]).then(([{ Terminal }, { FitAddon }]) => {
      if (disposed || !host.current) return;
      const t = new Terminal({
        cursorBlink: true,
        convertEol: false,
        fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
        fontSize: 14,
        scrollback: 5000,
        theme: { background: "#09090b", foreground: "#e4e4e7" },
      });
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(host.current);
      t.textarea?.setAttribute("aria-label", `Console of ${guestName}`);
      fit.fit();
      t.focus();
      const ro = new ResizeObserver(() => {
        try {
          fit.fit();
        } catch {
          /* detached while resizing */
        }
      });
      ro.observe(host.current);
      setTerm(t);
      cleanup = () => {
        ro.disconnect();
        t.dispose();
      };
    });
    return () => {
      disposed = true;
      cleanup();
      setTerm(null);
    };
  }, [guestName]);

  const type = (text: string) => chunks(asTyped(text)).forEach(send);

  return (
    <div
      ref={frame}
      data-console={mode}
      className={`flex flex-col gap-2 ${fullscreen ? "bg-zinc-950 p-2 text-zinc-100" : ""}`}
    >
      <ConsoleToolbar
        status={status}
        onPaste={type}
        keys={terminalKeys.map((k) => k.label)}
        onKey={(label) => {
          const k = terminalKeys.find((x) => x.label === label);
          if (k) send(k.data);
          term?.focus();
        }}
        extra={extra}
        onFullscreen={toggle}
        onReconnect={reconnect}
      />
      <div
        ref={host}
        role="group"
        aria-label={`${mode === "exec" ? "Shell" : "Console"} of ${guestName}`}
        className={`overflow-hidden rounded-lg bg-zinc-950 p-2 ${fullscreen ? "flex-1" : "h-[60vh] min-h-72"}`}
        onClick={() => term?.focus()}
      />
    </div>
  );
}
