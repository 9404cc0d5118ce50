"use client";
// Global keyboard shortcuts. Ignored while typing in a field or a console, so `g` in a shell
// never navigates away; Ctrl/Cmd+K works everywhere.
import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";
import { useOverlays } from "../palette/palette-provider";
import { toggleDark } from "../theme/theme";
import { Dialog } from "../ui/dialog";
import { isTypingTarget } from "./typing";

export const FOCUS_SEARCH_EVENT = "tandem:focus-search";

export const shortcutList: [string, string][] = [
  ["Ctrl/⌘ K", "Command palette: jump to a guest, run an action"],
  ["/", "Search the guest list"],
  ["n", "Create a guest"],
  ["g o", "Go to the guests overview"],
  ["g i", "Go to images"],
  ["g n", "Go to networks"],
  ["g d", "Go to storage (disks and volumes)"],
  ["g a", "Go to activity"],
  ["g s", "Go to settings"],
  ["j / k", "Next / previous guest in the list"],
  ["x", "Select the focused guest"],
  ["1 – 7", "On a guest page: its tabs in order (Overview, Console, …, Settings)"],
  ["t", "Toggle dark mode"],
  ["?", "This help"],
];

export function Hotkeys() {
  const router = useRouter();
  const { paletteOpen, setPaletteOpen, helpOpen, setHelpOpen } = useOverlays();
  const pendingG = useRef(0);
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPaletteOpen(!paletteOpen);
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target) || paletteOpen) return;
      const now = Date.now();
      if (now - pendingG.current < 1200) {
        pendingG.current = 0;
        const to = { o: "/", i: "/images", n: "/networks", d: "/storage", a: "/activity", s: "/settings" }[e.key];
        if (to) {
          e.preventDefault();
          router.push(to);
        }
        return;
      }
      switch (e.key) {
        case "g":
          pendingG.current = now;
          break;
        case "/":
          e.preventDefault();
          if (location.pathname !== "/") router.push("/");
          // The list may mount after navigation: ask twice, it is idempotent.
          window.dispatchEvent(new Event(FOCUS_SEARCH_EVENT));
          setTimeout(() => window.dispatchEvent(new Event(FOCUS_SEARCH_EVENT)), 300);
          break;
        case "n":
          router.push("/guests/new");
          break;
        case "t":
          toggleDark();
          break;
        case "?":
          setHelpOpen(true);
          break;
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [router, paletteOpen, setPaletteOpen, setHelpOpen]);

  return (
    <Dialog open={helpOpen} onClose={() => setHelpOpen(false)} title="Keyboard shortcuts">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
        {shortcutList.map(([k, v]) => (
          <div key={k} className="contents">
            <dt>
              <kbd className="kbd">{k}</kbd>
            </dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <div className="mt-4 flex justify-end">
        <button type="button" className="btn" onClick={() => setHelpOpen(false)}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
