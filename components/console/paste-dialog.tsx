"use client";
// Paste as keystrokes: the clipboard when the browser allows reading it, else a text box.
import { useState } from "react";
import { Dialog } from "../ui/dialog";

export function PasteDialog({
  open,
  onClose,
  onSend,
}: {
  open: boolean;
  onClose: () => void;
  onSend: (text: string) => void;
}) {
  const [text, setText] = useState("");
  return (
    <Dialog open={open} onClose={onClose} title="Paste as keystrokes">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSend(text);
          setText("");
          onClose();
        }}
        className="space-y-3 text-sm"
      >
        <label className="block">
          <span className="mb-1 block font-medium">Text to type into the console</span>
          <textarea
            className="input min-h-32 font-mono"
            value={text}
            onChange={(e) => setText(e.target.value)}
            autoFocus
          />
        </label>
        <div className="flex justify-end gap-2">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn-primary" disabled={!text}>
            Type it
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Reads the clipboard if permitted; null means "ask the user to paste it instead". */
export async function readClipboard(): Promise<string | null> {
  try {
    if (!navigator.clipboard?.readText) return null;
    return await navigator.clipboard.readText();
  } catch {
    return null;
  }
}
