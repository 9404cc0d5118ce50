"use client";
// Search, filters and (on narrow screens) the sort order of the guest list.
import { useEffect, useRef } from "react";
import { guestStates, type GuestKind, type GuestState } from "@/server/contract";
import { FOCUS_SEARCH_EVENT } from "../shell/hotkeys";
import { SearchIcon } from "../ui/icons";
import { defaultFilters, isFiltered, sortLabels, type Filters, type SortKey } from "./guest-filters";

export function GuestToolbar({
  filters,
  onChange,
  tags,
  shown,
  total,
}: {
  filters: Filters;
  onChange: (f: Filters) => void;
  tags: string[];
  shown: number;
  total: number;
}) {
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const focus = () => search.current?.focus();
    window.addEventListener(FOCUS_SEARCH_EVENT, focus);
    return () => window.removeEventListener(FOCUS_SEARCH_EVENT, focus);
  }, []);
  const set = <K extends keyof Filters>(k: K, v: Filters[K]) => onChange({ ...filters, [k]: v });
  return (
    <div className="flex flex-wrap items-center gap-2">
      <div className="relative min-w-48 flex-1 sm:max-w-xs">
        <SearchIcon className="pointer-events-none absolute top-1/2 left-2.5 -translate-y-1/2 text-zinc-400" />
        <input
          ref={search}
          type="search"
          aria-label="Search guests"
          aria-keyshortcuts="/"
          placeholder="Search name, tag, IP…  ( / )"
          value={filters.q}
          onChange={(e) => set("q", e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") set("q", "");
          }}
          className="input pl-8"
        />
      </div>
      <select
        aria-label="Kind"
        className="input w-auto"
        value={filters.kind}
        onChange={(e) => set("kind", e.target.value as GuestKind | "all")}
      >
        <option value="all">All kinds</option>
        <option value="vm">VMs</option>
        <option value="container">Containers</option>
      </select>
      <select
        aria-label="State"
        className="input w-auto"
        value={filters.state}
        onChange={(e) => set("state", e.target.value as GuestState | "all")}
      >
        <option value="all">All states</option>
        {guestStates.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <select
        aria-label="Tag"
        className="input w-auto"
        value={filters.tag}
        onChange={(e) => set("tag", e.target.value)}
      >
        <option value="">All tags</option>
        {tags.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
      <div className="flex items-center gap-1 lg:hidden">
        <select
          aria-label="Sort by"
          className="input w-auto"
          value={filters.sort}
          onChange={(e) => set("sort", e.target.value as SortKey)}
        >
          {(Object.keys(sortLabels) as SortKey[]).map((k) => (
            <option key={k} value={k}>
              Sort: {sortLabels[k]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="btn"
          aria-label={filters.desc ? "Sorted descending" : "Sorted ascending"}
          onClick={() => set("desc", !filters.desc)}
        >
          {filters.desc ? "↓" : "↑"}
        </button>
      </div>
      {isFiltered(filters) && (
        <button
          type="button"
          className="btn"
          onClick={() => onChange({ ...defaultFilters, sort: filters.sort, desc: filters.desc })}
        >
          Clear filters
        </button>
      )}
      <span className="muted ml-auto text-sm" aria-live="polite">
        {shown === total ? `${total} guests` : `${shown} of ${total} guests`}
      </span>
    </div>
  );
}
