// The last minute of CPU and memory per guest, fed by `metrics:overview` once a second. Rows
// draw their sparklines straight from here (subscribe → set one SVG path), so a tick costs no
// React render for a thousand guests.
import type { GuestSummaryPoint } from "@/server/contract";

export const SERIES_POINTS = 60;

export type Series = {
  /** CPU % of one CPU (100 = one core busy). NaN where the guest was not running. */
  cpu: Float32Array;
  /** Memory used as % of the limit. */
  mem: Float32Array;
  latest: GuestSummaryPoint | null;
};

export class OverviewSeries {
  private readonly series = new Map<string, Series>();
  private readonly listeners = new Set<() => void>();
  private head = 0;
  /** Increases once per tick; a cheap snapshot for useSyncExternalStore. */
  version = 0;

  push(guests: Record<string, GuestSummaryPoint>) {
    const i = this.head;
    for (const [id, p] of Object.entries(guests)) {
      let s = this.series.get(id);
      if (!s) {
        s = {
          cpu: new Float32Array(SERIES_POINTS).fill(NaN),
          mem: new Float32Array(SERIES_POINTS).fill(NaN),
          latest: null,
        };
        this.series.set(id, s);
      }
      s.cpu[i] = p.cpuPct;
      s.mem[i] = p.memLimit > 0 ? (p.memUsed / p.memLimit) * 100 : NaN;
      s.latest = p;
    }
    for (const [id, s] of this.series) {
      if (!(id in guests)) {
        s.cpu[i] = NaN;
        s.mem[i] = NaN;
        s.latest = null;
      }
    }
    this.head = (i + 1) % SERIES_POINTS;
    this.version++;
    for (const l of this.listeners) l();
  }

  /** Fills one subject's last minute from history (oldest first), where no live point is yet. */
  seed(id: string, points: GuestSummaryPoint[]) {
    let s = this.series.get(id);
    if (!s) {
      s = {
        cpu: new Float32Array(SERIES_POINTS).fill(NaN),
        mem: new Float32Array(SERIES_POINTS).fill(NaN),
        latest: null,
      };
      this.series.set(id, s);
    }
    const recent = points.slice(-SERIES_POINTS);
    recent.forEach((p, k) => {
      const i = (this.head - recent.length + k + SERIES_POINTS) % SERIES_POINTS;
      if (Number.isNaN(s.cpu[i]!)) {
        s.cpu[i] = p.cpuPct;
        s.mem[i] = p.memLimit > 0 ? (p.memUsed / p.memLimit) * 100 : NaN;
      }
    });
    s.latest ??= recent[recent.length - 1] ?? null;
    this.version++;
    for (const l of this.listeners) l();
  }

  get(id: string): Series | undefined {
    return this.series.get(id);
  }

  latest(id: string): GuestSummaryPoint | null {
    return this.series.get(id)?.latest ?? null;
  }

  /** Values oldest → newest. */
  ordered(values: Float32Array, out: number[] = []): number[] {
    out.length = 0;
    for (let k = 0; k < SERIES_POINTS; k++) out.push(values[(this.head + k) % SERIES_POINTS] ?? NaN);
    return out;
  }

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  };

  getVersion = () => this.version;

  clear() {
    this.series.clear();
    this.version++;
    for (const l of this.listeners) l();
  }
}
