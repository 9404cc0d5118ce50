// Console plumbing over REST: VNC tickets and container log streams.
import { LogLine, LogLines, VncTicket } from "@/server/contract";
import { apiParsed, apiPath, errorFromBody, withQuery } from "./client";

export const vncTicket = (id: string) => apiParsed(VncTicket, "POST", apiPath`/api/v1/guests/${id}/vnc`, {});

/** The websocket URL for a ticket's path, on this same origin (one port, through any proxy). */
export function vncSocketUrl(path: string): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

/**
 * A container's log lines: the last `tail` at once, then (with follow) new lines as the server
 * streams them as NDJSON, until it ends the stream or the signal aborts.
 */
export async function streamLogs(
  id: string,
  opts: { follow: boolean; tail: number },
  onLines: (lines: LogLine[]) => void,
  signal: AbortSignal,
): Promise<void> {
  const res = await fetch(withQuery(apiPath`/api/v1/guests/${id}/logs`, opts), { signal, credentials: "same-origin" });
  if (!res.ok) throw errorFromBody(res.status, res.statusText, await res.json().catch(() => null));
  if (!opts.follow) {
    const r = LogLines.safeParse(await res.json());
    if (r.success) onLines(r.data.lines);
    return;
  }
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const parts = (rest + value).split("\n");
    rest = parts.pop() ?? "";
    const lines: LogLine[] = [];
    for (const p of parts) {
      if (!p.trim()) continue;
      try {
        const l = LogLine.safeParse(JSON.parse(p));
        if (l.success) lines.push(l.data);
      } catch {
        /* a torn line: skip it */
      }
    }
    if (lines.length) onLines(lines);
  }
}
