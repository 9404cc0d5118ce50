"use client";
// The one list of VMs and containers: filtered, sorted, virtualised (only visible rows exist
// in the DOM), with multi-select and j/k/x keyboard moves.
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { canAct, type Guest } from "@/server/contract";
import { useGuestAction } from "../guest/use-guest-action";
import { useGuests } from "../realtime/guests-provider";
import { useOverviewSeries } from "../realtime/overview-provider";
import { isTypingTarget } from "../shell/typing";
import { useHasRole } from "../session-provider";
import { useSessionState } from "../ui/use-session-state";
import { BulkBar } from "./bulk-bar";
import { allTags, applyFilters, defaultFilters, isFiltered, type Filters } from "./guest-filters";
import { GuestListHeader } from "./guest-list-header";
import { GuestRow } from "./guest-row";
import { GuestToolbar } from "./guest-toolbar";

const ROW = 48;

/** Re-sorts by live CPU/memory at most every few seconds, so rows do not jump every tick. */
function useSlowMetricsVersion(enabled: boolean): number {
  const store = useOverviewSeries();
  const last = useRef({ at: 0, v: 0 });
  const subscribe = useCallback((l: () => void) => (enabled ? store.subscribe(l) : () => {}), [store, enabled]);
  return useSyncExternalStore(
    subscribe,
    () => {
      const now = Date.now();
      if (enabled && now - last.current.at > 3000) last.current = { at: now, v: store.version };
      return last.current.v;
    },
    () => 0,
  );
}

export function GuestList() {
  const { list, loaded, error } = useGuests();
  const store = useOverviewSeries();
  const canOperate = useHasRole("operator");
  const act = useGuestAction();
  const [filters, setFilters] = useSessionState<Filters>("tandem-guest-filters", defaultFilters);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [active, setActive] = useState(-1);
  const lastToggled = useRef<number>(-1);
  const scroller = useRef<HTMLDivElement>(null);
  const liveSort = filters.sort === "cpu" || filters.sort === "memory";
  const metricsVersion = useSlowMetricsVersion(liveSort);

  const rows = useMemo(
    () => applyFilters(list, filters, (id) => store.latest(id)),
    // metricsVersion re-sorts by the newest numbers
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [list, filters, store, metricsVersion],
  );
  const tags = useMemo(() => allTags(list), [list]);
  const selectedGuests = useMemo(() => list.filter((g) => selected.has(g.id)), [list, selected]);

  // Forget selections of guests that are gone.
  useEffect(() => {
    setSelected((s) => {
      if (![...s].some((id) => !list.some((g) => g.id === id))) return s;
      const ids = new Set(list.map((g) => g.id));
      return new Set([...s].filter((id) => ids.has(id)));
    });
  }, [list]);

  // TanStack Virtual keeps its own mutable state; this component is simply not auto-memoised.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 8,
    getItemKey: (i) => rows[i]?.id ?? i,
  });

  const toggle = useCallback(
    (id: string, shift: boolean) => {
      const index = rows.findIndex((g) => g.id === id);
      setSelected((s) => {
        const n = new Set(s);
        const on = !n.has(id);
        if (shift && lastToggled.current >= 0) {
          const [a, b] = [Math.min(lastToggled.current, index), Math.max(lastToggled.current, index)];
          for (let i = a; i <= b; i++) {
            const r = rows[i];
            if (r && on) n.add(r.id);
            else if (r) n.delete(r.id);
          }
        } else if (on) n.add(id);
        else n.delete(id);
        return n;
      });
      lastToggled.current = index;
    },
    [rows],
  );

  const power = useCallback((g: Guest) => void act(g, canAct(g.state, "start") ? "start" : "shutdown"), [act]);

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

  const allSelected = rows.length > 0 && rows.every((g) => selected.has(g.id));
  const someSelected = !allSelected && rows.some((g) => selected.has(g.id));
  const selectAll = () => setSelected(allSelected ? new Set() : new Set(rows.map((g) => g.id)));

  return (
    <section aria-labelledby="guests-heading" className="flex min-h-0 flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 id="guests-heading" className="text-lg font-semibold">
          Guests
        </h1>
        {canOperate && (
          <div className="flex gap-2">
            <Link href="/guests/new?kind=vm" className="btn">
              New VM
            </Link>
            <Link href="/guests/new?kind=container" className="btn-primary">
              New container
            </Link>
          </div>
        )}
      </div>
      <GuestToolbar filters={filters} onChange={setFilters} tags={tags} shown={rows.length} total={list.length} />
      {selected.size > 0 && canOperate && <BulkBar selected={selectedGuests} onClear={() => setSelected(new Set())} />}
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      <div
        role="table"
        aria-label="Guests"
        aria-rowcount={rows.length + 1}
        aria-busy={!loaded}
        className="card overflow-hidden"
      >
        <GuestListHeader
          filters={filters}
          onSort={(sort) => setFilters({ ...filters, sort, desc: filters.sort === sort ? !filters.desc : false })}
          allSelected={allSelected}
          someSelected={someSelected}
          onSelectAll={selectAll}
        />
        <div
          ref={scroller}
          role="rowgroup"
          data-testid="guest-scroller"
          className="relative overflow-y-auto"
          style={{ height: "max(18rem, calc(100dvh - 22rem))" }}
        >
          {!loaded ? (
            <p className="muted p-4 text-sm">Loading guests…</p>
          ) : rows.length === 0 ? (
            <EmptyList filtered={isFiltered(filters)} onClear={() => setFilters({ ...defaultFilters })} />
          ) : (
            <div style={{ height: virtualizer.getTotalSize() }} className="relative w-full">
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
                    onToggle={toggle}
                    onPower={power}
                    style={{ height: v.size, transform: `translateY(${v.start}px)` }}
                  />
                );
              })}
            </div>
          )}
        </div>
      </div>
    </section>
  );
}

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
