// Guest page URLs: ids carry dots ("local.vm.<uuid>"), so they are always encoded.
export const guestHref = (id: string, tab?: string) =>
  `/guests/${encodeURIComponent(id)}${tab && tab !== "overview" ? `?tab=${tab}` : ""}`;

export function guestIdFromPath(pathname: string | null): string | null {
  const m = /^\/guests\/([^/]+)$/.exec(pathname ?? "");
  if (!m || m[1] === "new") return null;
  return decodeURIComponent(m[1]!);
}
