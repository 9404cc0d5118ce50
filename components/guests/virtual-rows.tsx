"use client";
// The scrolling part of the guest list: only the visible rows (plus a few) exist in the DOM.
// Kept apart from the toolbar so a scroll re-renders nothing but the rows.
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { memo, useEffect, useRef, useState } from "react";
import type { Guest } from "@/server/contract";
import { isTypingTarget } from "../shell/typing";
import { GuestRow } from "./guest-row";

const ROW = 48;

export const VirtualRows = memo(function VirtualRows({
  rows,
  loaded,
  selected,
  canOperate,
  onToggle,
  onPower,
  filtered,
  onClearFilters,
}: {
  rows: Guest[];
  loaded: boolean;
  selected: Set<string>;
  canOperate: boolean;
  onToggle: (id: string, shift: boolean) => void;
  onPower: (g: Guest) => void;
  filtered: boolean;
  onClearFilters: () => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(-1);
  const toggle = onToggle;
  // TanStack Virtual keeps its own mutable state; this component is simply not auto-memoised.
  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Virtual is mutable by design
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 8,
    // Let React batch scroll updates instead of forcing a synchronous render per event.
    useFlushSync: false,
    getItemKey: (i) => rows[i]?.id ?? i,
  });

  // j/k move a highlight through the list and focus the row's link; x selects it.
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      if (e.key !== "j" && e.key !== "k" && e.key !== "x") return;
      if (!rows.length) return;
      e.preventDefault();
      if (e.key === "x") {
        const g = rows[active];
        if (g) toggle(g.id, false);
        return;
      }
      const next = Math.max(0, Math.min(rows.length - 1, active + (e.key === "j" ? 1 : -1)));
      setActive(next);
      virtualizer.scrollToIndex(next, { align: "auto" });
      requestAnimationFrame(() =>
        scroller.current
          ?.querySelector<HTMLAnchorElement>(`[data-row-index="${next}"] a`)
          ?.focus({ preventScroll: true }),
      );
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [rows, active, toggle, virtualizer]);

  return (
    <div
      ref={scroller}
      role="rowgroup"
      data-testid="guest-scroller"
      className="relative overflow-y-auto"
      // Strict containment: scrolling the list never re-lays out or repaints the page around it.
      style={{ height: "max(18rem, calc(100dvh - 22rem))", contain: "strict" }}
    >
      {!loaded ? (
        <p className="muted p-4 text-sm">Loading guests…</p>
      ) : rows.length === 0 ? (
        <EmptyList filtered={filtered} onClear={onClearFilters} />
      ) : (
        <div
          // While scrolling, rows under a still pointer take no hover: Chromium otherwise hit-tests
          // and restyles the row that slides under it on every frame (bench/ui.bench.ts).
          style={{ height: virtualizer.getTotalSize(), pointerEvents: virtualizer.isScrolling ? "none" : undefined }}
          className="relative w-full"
        >
          {virtualizer.getVirtualItems().map((v) => {
            const g = rows[v.index]!;
            return (
              <GuestRow
                key={g.id}
                guest={g}
                index={v.index}
                selected={selected.has(g.id)}
                active={v.index === active}
                canOperate={canOperate}
                onToggle={onToggle}
                onPower={onPower}
                top={v.start}
                height={v.size}
              />
            );
          })}
        </div>
      )}
    </div>
  );
});

function EmptyList({ filtered, onClear }: { filtered: boolean; onClear: () => void }) {
  return filtered ? (
    <div className="p-8 text-center text-sm">
      <p className="muted mb-3">No guest matches these filters.</p>
      <button type="button" className="btn" onClick={onClear}>
        Clear filters
      </button>
    </div>
  ) : (
    <div className="p-8 text-center text-sm">
      <p className="mb-1 font-medium">No guests yet.</p>
      <p className="muted mb-4">Create a VM or a container; both show up here, side by side.</p>
      <Link href="/guests/new" className="btn-primary">
        Create a guest
      </Link>
    </div>
  );
}
