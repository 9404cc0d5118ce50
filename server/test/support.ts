// Small helpers every test, fault rig and benchmark shares, written once: a free TCP port, a
// pause, and the median and percentiles the bench results table reports. Tests import this,
// never bench/ (bench/ imports it too).
import net from "node:net";

/**
 * A TCP port nothing listens on right now (bound, then released). Loopback by default;
 * `anyAddress` checks every address (a published container port binds them all); `range` tries
 * those ports in order instead of letting the kernel pick.
 */
export async function freePort(
  opts: { anyAddress?: boolean; range?: readonly [number, number] } = {},
): Promise<number> {
  const [from, to] = opts.range ?? [0, 0];
  for (let p = from; p <= to; p++) {
    const port = await new Promise<number | null>((resolve) => {
      const s = net.createServer();
      s.once("error", () => resolve(null));
      const bound = () => {
        const got = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(got));
      };
      if (opts.anyAddress) s.listen(p, bound);
      else s.listen(p, "127.0.0.1", bound);
    });
    if (port) return port;
  }
  throw new Error(from === to ? "no free port" : `no free port in ${from}–${to}`);
}

/** A fixed pause (Node's own): for pacing a load or letting a real process run, never to wait for a state (use until). */
export { setTimeout as sleep } from "node:timers/promises";

/** The middle value; with an even count, the mean of the two middle values. NaN for none. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = (s.length - 1) / 2;
  return (s[Math.floor(mid)]! + s[Math.ceil(mid)]!) / 2;
}

/** The nearest-rank percentile (p in 0–100): a value that was measured. NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
