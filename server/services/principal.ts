// Who is calling, as every layer sees it: the principal its credentials resolve to, and what the
// connection says about the client. Its own module so that the auth service, the live-connection
// registry and the transport layers can share it without importing each other.
import type { Role } from "../contract/auth";

export interface Principal {
  userId: string;
  username: string;
  /** Kept current on a live connection by the registry (see LiveConnections.track). */
  role: Role;
  via: "session" | "token";
  /** Present for cookie sessions: writes must echo it in x-csrf-token. */
  csrfToken?: string;
  sessionId?: string;
  tokenId?: string;
  /** When the session or token stops working (ms since the epoch). */
  expiresAt: number;
  /** The registry's change counter when the credentials were read. */
  epoch: number;
}

export interface ClientInfo {
  /** The client's IP address (IPv4-mapped IPv6 written as IPv4). */
  address: string;
  /** The browser's connection was TLS: to Tandem itself or to a trusted proxy in front. */
  secure: boolean;
  /** The host (and port) the browser asked for: a trusted proxy's X-Forwarded-Host, else Host. */
  host: string | undefined;
}
