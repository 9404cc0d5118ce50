"use client";
// The Console tab: text console (VM serial or container TTY), a shell for containers, and the
// graphical screen for VMs — one at a time, picked here.
import { useState } from "react";
import type { Guest } from "@/server/contract";
import { useHasRole } from "../session-provider";
import { TerminalConsole } from "./terminal-console";
import { VncConsole } from "./vnc-console";

type Mode = "serial" | "exec" | "vnc";

export function ConsoleTab({ guest }: { guest: Guest }) {
  const canOperate = useHasRole("operator");
  const modes: { key: Mode; label: string }[] = [
    { key: "serial", label: guest.kind === "vm" ? "Serial console" : "TTY" },
    ...(guest.capabilities.vnc ? [{ key: "vnc" as const, label: "Screen (VNC)" }] : []),
    ...(guest.capabilities.exec ? [{ key: "exec" as const, label: "Shell (exec)" }] : []),
  ];
  const [mode, setMode] = useState<Mode>("serial");
  if (!canOperate) return <p className="muted text-sm">Consoles need the operator role.</p>;
  const running = guest.state === "running";
  const picker = (
    <fieldset className="flex rounded-md border border-zinc-300 p-0.5 dark:border-zinc-700">
      <legend className="sr-only">Console type</legend>
      {modes.map((m) => (
        <label
          key={m.key}
          className={`cursor-pointer rounded px-2.5 py-1 text-xs font-medium has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-blue-500 ${
            m.key === mode ? "bg-blue-600 text-white" : "hover:bg-zinc-100 dark:hover:bg-zinc-800"
          }`}
        >
          <input
            type="radio"
            name="console-mode"
            value={m.key}
            checked={m.key === mode}
            onChange={() => setMode(m.key)}
            className="sr-only"
          />
          {m.label}
        </label>
      ))}
    </fieldset>
  );
  return mode === "vnc" ? (
    <VncConsole key={guest.id} guestId={guest.id} guestName={guest.name} running={running} extra={picker} />
  ) : (
    <TerminalConsole
      key={`${guest.id}:${mode}`}
      guestId={guest.id}
      guestName={guest.name}
      mode={mode}
      running={running}
      extra={picker}
    />
  );
}
