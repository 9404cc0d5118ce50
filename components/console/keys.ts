// Key combos and paste-as-keystrokes for the text and graphical consoles.

/** Control sequences a terminal can send that a browser keyboard may swallow. */
export const terminalKeys: { label: string; data: string }[] = [
  { label: "Ctrl+C", data: "\x03" },
  { label: "Ctrl+D", data: "\x04" },
  { label: "Ctrl+Z", data: "\x1a" },
  { label: "Ctrl+\\", data: "\x1c" },
  { label: "Esc", data: "\x1b" },
  { label: "Tab", data: "\t" },
];

/** Text as a terminal expects it typed: newlines are Enter (CR). */
export const asTyped = (text: string) => text.replace(/\r?\n/g, "\r");

/** Splits pasted text into chunks that stay under the server's 64 KiB input limit. */
export function chunks(text: string, size = 4096): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

// X11 keysyms for the keys noVNC needs to type text.
export const XK = {
  Return: 0xff0d,
  Tab: 0xff09,
  BackSpace: 0xff08,
  Escape: 0xff1b,
  Delete: 0xffff,
  Control_L: 0xffe3,
  Alt_L: 0xffe9,
  Shift_L: 0xffe1,
  F1: 0xffbe,
} as const;

/** The keysym of one character: Latin-1 maps directly, the rest through the Unicode range. */
export function keysymOf(ch: string): number {
  if (ch === "\n" || ch === "\r") return XK.Return;
  if (ch === "\t") return XK.Tab;
  const cp = ch.codePointAt(0) ?? 0;
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

/** Graphical key combos: each is a list of keysyms pressed in order and released in reverse. */
export const vncCombos: { label: string; keys: number[] }[] = [
  { label: "Ctrl+Alt+F1", keys: [XK.Control_L, XK.Alt_L, XK.F1] },
  { label: "Ctrl+Alt+F2", keys: [XK.Control_L, XK.Alt_L, XK.F1 + 1] },
  { label: "Ctrl+Alt+F7", keys: [XK.Control_L, XK.Alt_L, XK.F1 + 6] },
  { label: "Alt+Tab", keys: [XK.Alt_L, XK.Tab] },
  { label: "Esc", keys: [XK.Escape] },
];
