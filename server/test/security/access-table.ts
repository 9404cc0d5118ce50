// The access tables of docs/authorization.md, derived from the code's own declarations (each
// route's `access`, each socket event's entry in `eventRoles`) and parsed back from the doc.
// The matrix test checks both ways: the doc says what the code declares, and the running server
// does what the doc says.
import { hasRole, type Role } from "../../contract/auth";
import { eventRoles } from "../../contract/events";
import type { AnyRoute } from "../../http/route";

export const PRINCIPALS = ["none", "viewer", "operator", "admin", "expired", "revoked"] as const;
export type PrincipalKind = (typeof PRINCIPALS)[number];
const HEADINGS: Record<PrincipalKind, string> = {
  none: "no auth",
  viewer: "viewer",
  operator: "operator",
  admin: "admin",
  expired: "expired session",
  revoked: "revoked token",
};

/** `ok` = passes authorization; `401`/`403` = refused; `refused` = socket handshake refused. */
export type Cell = "ok" | "401" | "403" | "refused" | "FORBIDDEN";

export interface RestRow {
  method: string;
  path: string;
  access: string;
  cells: Record<PrincipalKind, Cell>;
  /** A cookie-session write without x-csrf-token (by an admin). */
  csrf: "403" | "—";
}

export interface EventRow {
  event: string;
  access: string;
  cells: Record<PrincipalKind, Cell>;
}

export const VNC_UPGRADE = { method: "GET (upgrade)", path: "/api/v1/vnc/:ticket", access: "operator" } as const;

function restCell(access: string, p: PrincipalKind): Cell {
  if (access === "public") return "ok";
  if (p === "none" || p === "expired" || p === "revoked") return "401";
  return hasRole(p, access as Role) ? "ok" : "403";
}

export function restRows(routes: readonly AnyRoute[]): RestRow[] {
  const rows: RestRow[] = routes.map((r) => ({
    method: r.method.toUpperCase(),
    path: r.path,
    access: r.access,
    cells: Object.fromEntries(PRINCIPALS.map((p) => [p, restCell(r.access, p)])) as Record<PrincipalKind, Cell>,
    csrf: r.method === "get" ? "—" : "403",
  }));
  rows.push({
    ...VNC_UPGRADE,
    cells: Object.fromEntries(PRINCIPALS.map((p) => [p, restCell(VNC_UPGRADE.access, p)])) as Record<
      PrincipalKind,
      Cell
    >,
    // An upgrade is a GET: the single-use ticket is what a cross-site page cannot have.
    csrf: "—",
  });
  return rows;
}

export function eventRows(): EventRow[] {
  return Object.entries(eventRoles).map(([event, access]) => ({
    event,
    access,
    cells: Object.fromEntries(
      PRINCIPALS.map((p) => [
        p,
        p === "none" || p === "expired" || p === "revoked" ? "refused" : hasRole(p, access) ? "ok" : "FORBIDDEN",
      ]),
    ) as Record<PrincipalKind, Cell>,
  }));
}

export function renderRest(rows: RestRow[]): string {
  const head = `| method | path | access | ${PRINCIPALS.map((p) => HEADINGS[p]).join(" | ")} | cookie write without x-csrf-token |`;
  const sep = `|---|---|---|${PRINCIPALS.map(() => ":-:").join("|")}|:-:|`;
  const body = rows.map(
    (r) =>
      `| ${r.method} | \`${r.path}\` | ${r.access} | ${PRINCIPALS.map((p) => r.cells[p]).join(" | ")} | ${r.csrf} |`,
  );
  return [head, sep, ...body].join("\n");
}

export function renderEvents(rows: EventRow[]): string {
  const head = `| event | access | ${PRINCIPALS.map((p) => HEADINGS[p]).join(" | ")} |`;
  const sep = `|---|---|${PRINCIPALS.map(() => ":-:").join("|")}|`;
  const body = rows.map((r) => `| \`${r.event}\` | ${r.access} | ${PRINCIPALS.map((p) => r.cells[p]).join(" | ")} |`);
  return [head, sep, ...body].join("\n");
}

const marker = (name: string, end: boolean) => `<!-- ${end ? "END" : "BEGIN"} GENERATED: ${name} -->`;

/** The text between a section's markers. */
export function section(doc: string, name: string): string | null {
  const a = doc.indexOf(marker(name, false));
  const b = doc.indexOf(marker(name, true));
  if (a < 0 || b < a) return null;
  return doc.slice(a + marker(name, false).length, b).trim();
}

/** Replaces a section's content (for regenerating the doc). */
export function replaceSection(doc: string, name: string, content: string): string {
  const a = doc.indexOf(marker(name, false));
  const b = doc.indexOf(marker(name, true));
  if (a < 0 || b < a) throw new Error(`docs/authorization.md has no ${name} markers`);
  return `${doc.slice(0, a)}${marker(name, false)}\n${content}\n${doc.slice(b)}`;
}

function tableCells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((c) => c.trim().replace(/^`|`$/g, ""));
}

export function parseRest(text: string): RestRow[] {
  return text
    .split("\n")
    .slice(2)
    .filter((l) => l.trim().startsWith("|"))
    .map((l) => {
      const c = tableCells(l);
      return {
        method: c[0]!,
        path: c[1]!,
        access: c[2]!,
        cells: Object.fromEntries(PRINCIPALS.map((p, i) => [p, c[3 + i] as Cell])) as Record<PrincipalKind, Cell>,
        csrf: c[3 + PRINCIPALS.length] as RestRow["csrf"],
      };
    });
}

export function parseEvents(text: string): EventRow[] {
  return text
    .split("\n")
    .slice(2)
    .filter((l) => l.trim().startsWith("|"))
    .map((l) => {
      const c = tableCells(l);
      return {
        event: c[0]!,
        access: c[1]!,
        cells: Object.fromEntries(PRINCIPALS.map((p, i) => [p, c[2 + i] as Cell])) as Record<PrincipalKind, Cell>,
      };
    });
}
