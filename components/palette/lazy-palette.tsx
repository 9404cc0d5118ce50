"use client";
// The command palette (cmdk, ~20 KB gzipped) stays out of every page's first load: its code is
// fetched once the page is idle, or at the first Ctrl/Cmd+K if that comes sooner, and the
// palette mounts from its first opening on.
import dynamic from "next/dynamic";
import { useEffect, useState } from "react";
import { useOverlays } from "./palette-provider";

const load = () => import("./command-palette");
const CommandPalette = dynamic(() => load().then((m) => m.CommandPalette), { ssr: false });

export function LazyCommandPalette() {
  const { paletteOpen } = useOverlays();
  const [wanted, setWanted] = useState(false);
  // Fetch ahead while idle, so the first Ctrl+K opens at once and no typed key is lost.
  useEffect(() => {
    const w = window as Window & { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number };
    if (w.requestIdleCallback) w.requestIdleCallback(() => void load(), { timeout: 5000 });
    else setTimeout(() => void load(), 2000);
  }, []);
  if (paletteOpen && !wanted) setWanted(true);
  return wanted ? <CommandPalette /> : null;
}
