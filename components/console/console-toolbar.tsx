"use client";
// The bar above a console: connection state, paste, key combos, fullscreen, reconnect.
import { useState } from "react";
import { ClipboardIcon, ExpandIcon, KeyboardIcon, RebootIcon } from "../ui/icons";
import { statusText, type ConsoleStatus } from "./console-status";
import { PasteDialog, readClipboard } from "./paste-dialog";

export function ConsoleToolbar({
  status,
  onPaste,
  keys,
  onKey,
  extra,
  onFullscreen,
  onReconnect,
}: {
  status: ConsoleStatus;
  onPaste: (text: string) => void;
  keys: string[];
  onKey: (label: string) => void;
  extra?: React.ReactNode;
  onFullscreen: () => void;
  onReconnect: () => void;
}) {
  const [pasteOpen, setPasteOpen] = useState(false);
  const dot =
    status.state === "connected"
      ? "bg-emerald-500"
      : status.state === "connecting" || status.state === "reconnecting"
        ? "bg-amber-500 animate-pulse"
        : status.state === "waiting"
          ? "bg-zinc-400"
          : "bg-red-500";
  return (
    <div role="toolbar" aria-label="Console controls" className="flex flex-wrap items-center gap-2 text-sm">
      <span role="status" className="flex min-w-0 items-center gap-1.5" data-console-status={status.state}>
        <span aria-hidden className={`h-2 w-2 shrink-0 rounded-full ${dot}`} />
        <span className="truncate">{statusText(status)}</span>
      </span>
      <div className="ml-auto flex flex-wrap items-center gap-1.5">
        {extra}
        <button
          type="button"
          className="btn"
          disabled={status.state !== "connected"}
          onClick={async () => {
            const text = await readClipboard();
            if (text) onPaste(text);
            else setPasteOpen(true);
          }}
          title="Type the clipboard's text into the console"
        >
          <ClipboardIcon /> Paste
        </button>
        <label className="sr-only" htmlFor="console-keys">
          Send keys
        </label>
        <div className="relative">
          <KeyboardIcon className="pointer-events-none absolute top-1/2 left-2 -translate-y-1/2" />
          <select
            id="console-keys"
            className="input w-auto py-1.5 pl-7"
            value=""
            disabled={status.state !== "connected"}
            onChange={(e) => {
              if (e.target.value) onKey(e.target.value);
            }}
          >
            <option value="">Send keys…</option>
            {keys.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        <button type="button" className="btn" onClick={onFullscreen} title="Fullscreen (Esc leaves)">
          <ExpandIcon /> Fullscreen
        </button>
        <button type="button" className="btn" onClick={onReconnect} title="Close and open the console again">
          <RebootIcon /> Reconnect
        </button>
      </div>
      <PasteDialog open={pasteOpen} onClose={() => setPasteOpen(false)} onSend={onPaste} />
    </div>
  );
}
