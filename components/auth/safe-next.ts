// Where to go after sign-in: only a path on this same site. Anything a browser would resolve to
// another origin (`//evil`, `/\evil`, `https://evil`) falls back to the overview.
export function safeNext(next: string | null, origin: string): string {
  if (!next || !next.startsWith("/")) return "/";
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? url.pathname + url.search + url.hash : "/";
  } catch {
    return "/";
  }
}
