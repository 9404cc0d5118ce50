// Reads conmon's k8s-file log: `<RFC3339Nano> <stdout|stderr> <P|F> <text>` per line, where P
// marks a partial line that continues in the next record. Follow mode tails the file (and copes
// with conmon truncating it when --log-size-max is hit).
import { closeSync, openSync, readSync, statSync, watch } from "node:fs";
import type { LogLine } from "../../../contract/guest-extras";

export type { LogLine };

/** Parses complete lines; P-records are joined to the following record of the same stream. */
export class K8sLogParser {
  private partial = "";
  private carry = "";

  push(chunk: string): LogLine[] {
    const out: LogLine[] = [];
    const text = this.carry + chunk;
    const lines = text.split("\n");
    this.carry = lines.pop() ?? "";
    for (const line of lines) {
      const m = /^(\S+) (stdout|stderr) ([PF]) ?([\s\S]*)$/.exec(line);
      if (!m) continue;
      const body = this.partial + m[4];
      if (m[3] === "P") {
        this.partial = body;
        continue;
      }
      this.partial = "";
      // TTY output ends lines with CRLF; the CR is terminal noise in a log view.
      out.push({ time: m[1]!, stream: m[2] as LogLine["stream"], text: body.replace(/\r$/, "") });
    }
    return out;
  }
}

export async function* readLogs(
  file: string,
  opts: { follow?: boolean; signal?: AbortSignal; isAlive?: () => boolean },
): AsyncIterable<LogLine> {
  const parser = new K8sLogParser();
  let offset = 0;
  const buf = Buffer.alloc(64 * 1024);
  const readMore = (): LogLine[] => {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return [];
    }
    if (size < offset) offset = 0; // truncated by conmon's size cap
    if (size === offset) return [];
    const fd = openSync(file, "r");
    const lines: LogLine[] = [];
    try {
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        offset += n;
        lines.push(...parser.push(buf.subarray(0, n).toString("utf8")));
      }
    } finally {
      closeSync(fd);
    }
    return lines;
  };
  yield* readMore();
  if (!opts.follow) return;
  let wake: (() => void) | null = null;
  const watcher = (() => {
    try {
      return watch(file, () => wake?.());
    } catch {
      return null;
    }
  })();
  const onAbort = () => wake?.();
  opts.signal?.addEventListener("abort", onAbort);
  try {
    while (!opts.signal?.aborted) {
      const lines = readMore();
      if (lines.length) {
        yield* lines;
        continue;
      }
      if (opts.isAlive && !opts.isAlive()) {
        yield* readMore();
        return;
      }
      // inotify wakes us; the timer covers a log file that was replaced.
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 1000).unref();
      });
      wake = null;
    }
  } finally {
    watcher?.close();
    opts.signal?.removeEventListener("abort", onAbort);
  }
}
