// Browsers send Origin on WebSocket upgrades; refusing cross-site ones stops a page on another
// site from riding the user's cookie into a console. `client` is what the connection says about
// the browser (transport.ts): the host it asked for (a trusted proxy's X-Forwarded-Host, else
// Host) and whether it came over TLS, in which case a plain-http page is another site too.
import type { ClientInfo } from "../services/principal";

export function sameOrigin(origin: string | undefined, client: Pick<ClientInfo, "host" | "secure">): boolean {
  if (!origin) return true; // non-browser clients send none
  try {
    const o = new URL(origin);
    return o.host === client.host && (!client.secure || o.protocol === "https:");
  } catch {
    return false;
  }
}
