// Host id ranges for user-namespaced containers: each container's root and users (0..65535
// inside) map to its own block of 65536 host uids and gids, so no container shares an owner with
// the host or with another container. Blocks start at 2^20 (far above any account in
// /etc/passwd) and skip anything /etc/subuid or /etc/subgid hands to local users for rootless
// tools. The allocation is recorded in each container's state.json, which is what makes a block
// "used"; removing the container frees it.
import { readFileSync } from "node:fs";

export const ID_RANGE_BASE = 2 ** 20;
export const ID_RANGE_SIZE = 65536;
/** Ranges end at or below 2^31: ids stay positive in every signed API (and nobody's 2^32-1). */
export const ID_RANGE_LIMIT = 2 ** 31;

export interface IdRange {
  /** First host id (uid and gid alike) the container's id 0 maps to. */
  start: number;
  size: number;
}

/** "name:start:count" lines of /etc/subuid or /etc/subgid; malformed lines are ignored. */
export function parseSubIds(text: string): IdRange[] {
  const out: IdRange[] = [];
  for (const line of text.split("\n")) {
    const m = /^[^:#\s][^:]*:(\d+):(\d+)\s*$/.exec(line.trim());
    if (m && Number(m[2]) > 0) out.push({ start: Number(m[1]), size: Number(m[2]) });
  }
  return out;
}

/** What /etc/subuid and /etc/subgid reserve on this host (missing files reserve nothing). */
export function hostSubIdRanges(files = ["/etc/subuid", "/etc/subgid"]): IdRange[] {
  return files.flatMap((f) => {
    try {
      return parseSubIds(readFileSync(f, "utf8"));
    } catch {
      return [];
    }
  });
}

function overlaps(a: IdRange, b: IdRange): boolean {
  return a.start < b.start + b.size && b.start < a.start + a.size;
}

/** The lowest free block of `size` ids at or above ID_RANGE_BASE, aligned to the block size. */
export function allocateIdRange(taken: Iterable<IdRange>, size = ID_RANGE_SIZE): IdRange {
  const busy = [...taken].sort((a, b) => a.start - b.start);
  let start = ID_RANGE_BASE;
  while (start + size <= ID_RANGE_LIMIT) {
    const clash = busy.find((r) => overlaps(r, { start, size }));
    if (!clash) return { start, size };
    // Jump past the clash, rounded up to the next block boundary.
    const end = clash.start + clash.size;
    start = ID_RANGE_BASE + Math.ceil((end - ID_RANGE_BASE) / size) * size;
  }
  throw new Error("no free block of host ids is left for another user-namespaced container");
}

/** uid_map / gid_map lines (and the OCI spec's mappings) for a range: 0..size-1 inside. */
export function idMapOf(r: IdRange): { inside: number; outside: number; count: number }[] {
  return [{ inside: 0, outside: r.start, count: r.size }];
}
