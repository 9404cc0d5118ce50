// Console plumbing over REST: VNC tickets and container log streams.
import { z } from "zod";
import { apiParsed, apiPath, errorFromBody, withQuery } from "./client";

const VncTicket = z.object({ ticket: z.string(), path: z.string().startsWith("/") });
export type VncTicket = z.infer<typeof VncTicket>;

export const vncTicket = (id: string) => apiParsed(VncTicket, "POST", apiPath`/api/v1/guests/${id}/vnc`, {});

/** The websocket URL for a ticket's path, on this same origin (one port, through any proxy). */
export function vncSocketUrl(path: string): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

/**
 * Streams a container's log as text chunks until the server ends it or the signal aborts.
 * Resolves when the stream ends.
 */
export async function streamLogs(
  id: string,
  opts: { follow: boolean; tail: number },
  onChunk: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(withQuery(apiPath`/api/v1/guests/${id}/logs`, opts), { signal, credentials: "same-origin" });
  if (!res.ok) throw errorFromBody(res.status, res.statusText, await res.json().catch(() => null));
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    if (value) onChunk(value);
  }
}
