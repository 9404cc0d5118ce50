// Filtering and sorting of the one list, kept pure so that typing in the search box over a
// thousand guests costs one pass.
import type { Guest, GuestKind, GuestState, GuestSummaryPoint } from "@/server/contract";

export type SortKey = "name" | "state" | "cpu" | "memory" | "vcpus" | "size" | "created";
export type Filters = {
  q: string;
  kind: GuestKind | "all";
  state: GuestState | "all";
  tag: string;
  sort: SortKey;
  desc: boolean;
};

export const defaultFilters: Filters = { q: "", kind: "all", state: "all", tag: "", sort: "name", desc: false };

export const sortLabels: Record<SortKey, string> = {
  name: "Name",
  state: "State",
  cpu: "CPU",
  memory: "Memory use",
  vcpus: "vCPUs",
  size: "Memory size",
  created: "Created",
};

export const isFiltered = (f: Filters) => f.q !== "" || f.kind !== "all" || f.state !== "all" || f.tag !== "";

function matches(g: Guest, q: string): boolean {
  if (g.name.toLowerCase().includes(q)) return true;
  if (g.tags.some((t) => t.toLowerCase().includes(q))) return true;
  if (g.ipAddresses.some((ip) => ip.includes(q))) return true;
  return (g.image ?? "").toLowerCase().includes(q);
}

const stateOrder: Record<GuestState, number> = {
  running: 0,
  paused: 1,
  "shutting-down": 2,
  creating: 3,
  crashed: 4,
  stopped: 5,
  unknown: 6,
};

export function applyFilters(guests: Guest[], f: Filters, latest: (id: string) => GuestSummaryPoint | null): Guest[] {
  const q = f.q.trim().toLowerCase();
  const out = guests.filter(
    (g) =>
      (f.kind === "all" || g.kind === f.kind) &&
      (f.state === "all" || g.state === f.state) &&
      (!f.tag || g.tags.includes(f.tag)) &&
      (!q || matches(g, q)),
  );
  const cpu = (g: Guest) => latest(g.id)?.cpuPct ?? -1;
  const mem = (g: Guest) => {
    const p = latest(g.id);
    return p && p.memLimit > 0 ? p.memUsed / p.memLimit : -1;
  };
  const by: Record<SortKey, (a: Guest, b: Guest) => number> = {
    name: () => 0,
    state: (a, b) => stateOrder[a.state] - stateOrder[b.state],
    cpu: (a, b) => cpu(a) - cpu(b),
    memory: (a, b) => mem(a) - mem(b),
    vcpus: (a, b) => a.vcpus - b.vcpus,
    size: (a, b) => a.memoryMiB - b.memoryMiB,
    created: (a, b) => a.createdAt.localeCompare(b.createdAt),
  };
  const cmp = by[f.sort];
  const dir = f.desc ? -1 : 1;
  // The input is sorted by name already; a stable sort keeps names in order within ties.
  if (f.sort === "name") return f.desc ? out.reverse() : out;
  return out.sort((a, b) => dir * cmp(a, b));
}

export function allTags(guests: Guest[]): string[] {
  const s = new Set<string>();
  for (const g of guests) for (const t of g.tags) s.add(t);
  return [...s].sort();
}
