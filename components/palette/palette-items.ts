// What the palette offers for a query: guests to jump to, actions on guests, pages to open.
// Pure, so it can rank a thousand guests per keystroke without React in the way.
import { canAct, type Guest, type GuestAction } from "@/server/contract";
import { actionLabels, actionVerbs } from "../guest/actions";
import { guestHref } from "../guest/links";

export type PaletteItem =
  | { type: "guest"; id: string; guest: Guest }
  | { type: "action"; id: string; guest: Guest; action: GuestAction }
  | { type: "page"; id: string; label: string; href: string; hint?: string }
  | { type: "command"; id: string; label: string; run: "theme" | "help"; hint?: string };

const pages: { label: string; href: string; hint?: string }[] = [
  { label: "Guests overview", href: "/", hint: "g o" },
  { label: "Create a VM", href: "/guests/new?kind=vm", hint: "n" },
  { label: "Create a container", href: "/guests/new?kind=container" },
  { label: "Images", href: "/images", hint: "g i" },
  { label: "Upload an image", href: "/images#upload" },
  { label: "Networks", href: "/networks", hint: "g n" },
  { label: "Storage", href: "/storage", hint: "g d" },
  { label: "Activity", href: "/activity", hint: "g a" },
  { label: "Settings", href: "/settings", hint: "g s" },
  { label: "API tokens", href: "/settings#tokens" },
];

const MAX_GUESTS = 40;

function rank(name: string, q: string): number {
  if (!q) return 1;
  const n = name.toLowerCase();
  if (n === q) return 4;
  if (n.startsWith(q)) return 3;
  if (n.includes(q)) return 2;
  return 0;
}

function matchGuests(guests: Guest[], q: string): Guest[] {
  const scored: { g: Guest; s: number }[] = [];
  for (const g of guests) {
    const s = Math.max(rank(g.name, q), g.tags.some((t) => t.toLowerCase() === q) ? 2 : 0);
    if (s > 0) scored.push({ g, s });
  }
  scored.sort((a, b) => b.s - a.s || a.g.name.localeCompare(b.g.name));
  return scored.slice(0, MAX_GUESTS).map((x) => x.g);
}

/** "start web" → start action on guests matching "web"; the verb alone lists every candidate. */
function parseVerb(q: string): { action: GuestAction; rest: string } | null {
  for (const [verb, action] of Object.entries(actionVerbs)) {
    if (q === verb || q.startsWith(verb + " ")) return { action, rest: q.slice(verb.length).trim() };
  }
  return null;
}

export function paletteItems(
  query: string,
  guests: Guest[],
  current: Guest | undefined,
): {
  heading: string;
  items: PaletteItem[];
}[] {
  const q = query.trim().toLowerCase();
  const groups: { heading: string; items: PaletteItem[] }[] = [];
  const consoleVerb = /^(console|shell|ssh)( |$)/.exec(q);
  if (consoleVerb) {
    const items = matchGuests(
      guests.filter((g) => g.state === "running"),
      q.slice(consoleVerb[0].length).trim(),
    ).map((g): PaletteItem => ({
      type: "page",
      id: `c:${g.id}`,
      label: `Console of ${g.name}`,
      href: guestHref(g.id, "console"),
    }));
    groups.push({ heading: "Open a console…", items });
    return groups;
  }
  const verb = parseVerb(q);
  if (verb) {
    const items = matchGuests(
      guests.filter((g) => canAct(g.state, verb.action)),
      verb.rest,
    ).map((g): PaletteItem => ({ type: "action", id: `a:${verb.action}:${g.id}`, guest: g, action: verb.action }));
    groups.push({ heading: `${actionLabels[verb.action]}…`, items });
    return groups;
  }
  if (current) {
    const items = (Object.keys(actionLabels) as GuestAction[])
      .filter((a) => canAct(current.state, a) && (!q || actionLabels[a].toLowerCase().includes(q)))
      .map((a): PaletteItem => ({ type: "action", id: `a:${a}:${current.id}`, guest: current, action: a }));
    if (items.length) groups.push({ heading: current.name, items });
  }
  const gs = matchGuests(guests, q).map((g): PaletteItem => ({ type: "guest", id: `g:${g.id}`, guest: g }));
  if (gs.length) groups.push({ heading: "Guests", items: gs });
  const ps = pages
    .filter((p) => !q || p.label.toLowerCase().includes(q))
    .map((p): PaletteItem => ({ type: "page", id: `p:${p.href}`, ...p }));
  const cmds: PaletteItem[] = [
    { type: "command", id: "c:theme", label: "Toggle dark mode", run: "theme", hint: "t" },
    { type: "command", id: "c:help", label: "Keyboard shortcuts", run: "help", hint: "?" },
  ];
  const cs = cmds.filter((c) => c.type === "command" && (!q || c.label.toLowerCase().includes(q)));
  if (ps.length || cs.length) groups.push({ heading: "Go to", items: [...ps, ...cs] });
  return groups;
}
