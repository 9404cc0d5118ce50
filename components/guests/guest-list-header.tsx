"use client";
// Column headers of the guest list; sortable ones are buttons that report aria-sort.
import { useEffect, useRef } from "react";
import type { Filters, SortKey } from "./guest-filters";

function SortHeader({
  label,
  sortKey,
  filters,
  onSort,
  className = "",
}: {
  label: string;
  sortKey: SortKey;
  filters: Filters;
  onSort: (k: SortKey) => void;
  className?: string;
}) {
  const on = filters.sort === sortKey;
  return (
    <div
      role="columnheader"
      aria-sort={on ? (filters.desc ? "descending" : "ascending") : "none"}
      className={className}
    >
      <button
        type="button"
        onClick={() => onSort(sortKey)}
        className="inline-flex items-center gap-1 rounded hover:text-zinc-900 focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:outline-none dark:hover:text-zinc-100"
      >
        {label}
        <span aria-hidden className={on ? "" : "invisible"}>
          {filters.desc ? "↓" : "↑"}
        </span>
      </button>
    </div>
  );
}

export function GuestListHeader({
  filters,
  onSort,
  allSelected,
  someSelected,
  onSelectAll,
}: {
  filters: Filters;
  onSort: (k: SortKey) => void;
  allSelected: boolean;
  someSelected: boolean;
  onSelectAll: () => void;
}) {
  const box = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (box.current) box.current.indeterminate = someSelected;
  }, [someSelected]);
  const p = { filters, onSort };
  return (
    <div role="rowgroup">
      <div
        role="row"
        aria-rowindex={1}
        className="guest-grid border-b border-zinc-200 bg-zinc-50 px-2 py-2 text-xs font-semibold text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60"
      >
        <div role="columnheader">
          <input
            ref={box}
            type="checkbox"
            aria-label="Select all shown guests"
            checked={allSelected}
            onChange={onSelectAll}
            className="h-4 w-4 accent-blue-600"
          />
        </div>
        <div role="columnheader">
          <span className="sr-only">Kind</span>
        </div>
        <SortHeader label="Name" sortKey="name" {...p} />
        <SortHeader label="State" sortKey="state" className="hidden md:block" {...p} />
        <SortHeader label="CPU" sortKey="cpu" {...p} />
        <SortHeader label="Memory" sortKey="memory" className="hidden md:block" {...p} />
        <SortHeader label="Size" sortKey="size" className="hidden md:block" {...p} />
        <div role="columnheader" className="hidden lg:block">
          Tags
        </div>
        <div role="columnheader" className="hidden lg:block">
          <span className="sr-only">Actions</span>
        </div>
      </div>
    </div>
  );
}
