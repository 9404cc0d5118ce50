"use client";
// The one list of VMs and containers: filtered, sorted, virtualised (only visible rows exist
// in the DOM), with multi-select and j/k/x keyboard moves.
import Link from "next/link";
import { useCallback, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { canAct, type Guest } from "@/server/contract";
import { useGuestAction } from "../guest/use-guest-action";
import { useGuests } from "../realtime/guests-provider";
import { useOverviewSeries } from "../realtime/overview-provider";
import { useHasRole } from "../session-provider";
import { useSessionState } from "../ui/use-session-state";
import { BulkBar } from "./bulk-bar";
import { allTags, applyFilters, defaultFilters, isFiltered, type Filters } from "./guest-filters";
import { GuestListHeader } from "./guest-list-header";
import { VirtualRows } from "./virtual-rows";
import { GuestToolbar } from "./guest-toolbar";

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
  const lastToggled = useRef<number>(-1);
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

  const clearFilters = useCallback(() => setFilters({ ...defaultFilters }), [setFilters]);
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
      {selectedGuests.length > 0 && canOperate && (
        <BulkBar selected={selectedGuests} onClear={() => setSelected(new Set())} />
      )}
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
        <VirtualRows
          rows={rows}
          loaded={loaded}
          selected={selected}
          canOperate={canOperate}
          onToggle={toggle}
          onPower={power}
          filtered={isFiltered(filters)}
          onClearFilters={clearFilters}
        />
      </div>
    </section>
  );
}
