// Browsers send Origin on WebSocket upgrades; refusing cross-site ones stops a page on another
// site from riding the user's cookie into a console.
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin) return true; // non-browser clients send none
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
