// The sampler: every second one bulk read per driver for all running guests plus the host,
// 1 s points kept in memory rings for 15 minutes, downsampled into SQLite (10 s for 24 h,
// 5 min for 30 days), and each new point handed to listeners (the realtime layer) once.
import type { GuestKind } from "../contract/guest";
import type { MetricPoint, MetricRange } from "../contract/metrics";
import type { Db } from "../db/client";
import type { GuestDriver, GuestSample } from "../domain/driver";
import { average, toPoint } from "./rates";
import { Ring } from "./ring";
import { sampleHost } from "./host-sampler";

const RING_POINTS = 15 * 60;
const TIERS = [
  { resolution: 10, keepSeconds: 24 * 3600 },
  { resolution: 300, keepSeconds: 30 * 24 * 3600 },
] as const;

/** The table's columns, key first (the upsert's conflict target is the first three). */
const COLUMNS = [
  "subject",
  "resolution",
  "ts",
  "cpuPct",
  "memUsed",
  "memLimit",
  "diskRead",
  "diskWrite",
  "netRx",
  "netTx",
];
/** Rows per INSERT: 10 bound values each, under SQLite's 32,766-variable limit with room. */
const FLUSH_CHUNK = 500;

const bucketKey = (subject: string, resolution: number) => `${resolution}|${subject}`;
function splitBucketKey(key: string): [string, number] {
  const bar = key.indexOf("|");
  return [key.slice(bar + 1), Number(key.slice(0, bar))];
}

interface Logger {
  debug(o: object, m?: string): void;
  warn(o: object, m?: string): void;
}

export class MetricsService {
  private readonly rings = new Map<string, Ring<MetricPoint>>();
  private readonly last = new Map<string, GuestSample>();
  /** Cumulative counters that survive guest restarts, for Prometheus (never go backwards). */
  private readonly totals = new Map<
    string,
    { cpuSeconds: number; diskRead: number; diskWrite: number; netRx: number; netTx: number }
  >();
  /** Points waiting to be averaged into each tier's current bucket. */
  private readonly buckets = new Map<string, { ts: number; points: MetricPoint[] }>();
  private readonly pendingRows: { subject: string; resolution: number; point: MetricPoint }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastFlush = Date.now();
  private flushing: Promise<void> = Promise.resolve();
  /** The tick under way, if any (stop waits for it; the next slot skips while it runs). */
  private ticking: Promise<void> | null = null;
  lastTickMs = 0;
  readonly hostSubject: string;

  constructor(
    private readonly drivers: GuestDriver[],
    private readonly runningIds: (kind: GuestKind) => string[],
    private readonly db: Db,
    hostId: string,
    private readonly onPoints: (points: Map<string, MetricPoint>) => void,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {
    this.hostSubject = `host:${hostId}`;
  }

  start(): void {
    this.stopped = false;
    // Ticks on a fixed grid, each started on time whatever the last one took: under a busy
    // event loop every await in a tick (the /proc reads, a backend's answer) waits for the loop,
    // and ticks chained one after the other fell to one every ~2 s, half the points. A tick
    // still reading when the next is due is not doubled: the next starts as soon as it ends
    // (one owed tick at most, never a burst); a timer more than an interval late is not caught up.
    let due = Date.now();
    let owed = false;
    const run = () => {
      this.ticking = this.tick()
        .catch((err) => this.log.warn({ err }, "metrics tick failed"))
        .finally(() => {
          this.ticking = null;
          if (owed && !this.stopped) {
            owed = false;
            run();
          }
        });
    };
    const loop = () => {
      if (this.stopped) return;
      const now = Date.now();
      due = Math.max(due + this.intervalMs, now - this.intervalMs / 2);
      this.timer = setTimeout(loop, Math.max(0, due - now));
      if (this.ticking) owed = true;
      else run();
    };
    this.timer = setTimeout(loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    // Keep the partial buckets too, so a restart shows history right up to the stop.
    for (const [key, b] of this.buckets) {
      const [subject, resolution] = splitBucketKey(key);
      if (b.points.length) this.pendingRows.push({ subject, resolution, point: average(b.points, b.ts * 1000) });
    }
    this.buckets.clear();
    await this.flush();
  }

  async tick(): Promise<void> {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // The host and every backend read at once: each read's awaits wait for the event loop.
    const [host, ...perDriver] = await Promise.all([
      sampleHost(this.hostSubject),
      ...this.drivers.map((d) => {
        const ids = this.runningIds(d.kind);
        return ids.length
          ? d.sample(ids).catch((err: unknown) => (this.log.warn({ err, kind: d.kind }, "sample failed"), []))
          : [];
      }),
    ]);
    const samples: GuestSample[] = [host];
    for (const list of perDriver) samples.push(...list);
    const points = new Map<string, MetricPoint>();
    for (const s of samples) {
      const prev = this.last.get(s.id);
      this.last.set(s.id, s);
      this.accumulate(prev, s);
      const p = toPoint(prev, s);
      if (!p) continue;
      if (s.id === this.hostSubject) p.cpuPct = p.cpuPct / Math.max(1, s.cpuCount);
      points.set(s.id, p);
      let ring = this.rings.get(s.id);
      if (!ring) this.rings.set(s.id, (ring = new Ring(RING_POINTS)));
      ring.push(p);
      this.bucket(s.id, p);
    }
    this.onPoints(points);
    // The write is not waited for: a slow disk delays the history, never the next live point.
    if (Date.now() - this.lastFlush >= 10_000) void this.flush();
    this.lastTickMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.log.debug(
      { ms: this.lastTickMs, cpuMs: (cpu.user + cpu.system) / 1000, samples: samples.length },
      "metrics tick",
    );
  }

  /** The latest point of every subject, for the overview on first paint. */
  latest(): Map<string, MetricPoint> {
    const out = new Map<string, MetricPoint>();
    for (const [id, ring] of this.rings) {
      const arr = ring.toArray();
      const p = arr[arr.length - 1];
      if (p) out.set(id, p);
    }
    return out;
  }

  /** The last `n` 1 s points of every subject, oldest first (sparklines on first paint). */
  recent(n: number): Map<string, MetricPoint[]> {
    const out = new Map<string, MetricPoint[]>();
    for (const [id, ring] of this.rings) out.set(id, ring.toArray().slice(-n));
    return out;
  }

  totalsFor(id: string) {
    return this.totals.get(id);
  }

  async history(subject: string, range: MetricRange): Promise<{ resolution: number; points: MetricPoint[] }> {
    if (range === "15m") return { resolution: 1, points: this.rings.get(subject)?.toArray() ?? [] };
    const spec = {
      "1h": { res: 10, secs: 3600 },
      "24h": { res: 10, secs: 86400 },
      "7d": { res: 300, secs: 7 * 86400 },
    }[range];
    await this.flush();
    const since = Math.floor(Date.now() / 1000) - spec.secs;
    const rows = await this.db.metricPoint.findMany({
      where: { subject, resolution: spec.res, ts: { gte: since } },
      orderBy: { ts: "asc" },
    });
    return {
      resolution: spec.res,
      points: rows.map((r) => ({
        t: r.ts * 1000,
        cpuPct: r.cpuPct,
        memUsed: r.memUsed,
        memLimit: r.memLimit,
        diskRead: r.diskRead,
        diskWrite: r.diskWrite,
        netRx: r.netRx,
        netTx: r.netTx,
      })),
    };
  }

  /**
   * Writes completed buckets and prunes expired points. One multi-row statement per chunk, not
   * one Prisma upsert per row: each Prisma call is compiled and interpreted on the event loop,
   * and 250 of them every 10 s were the tick's largest cost under load. One flush at a time;
   * a flush asked for while one runs follows it (history() must see every completed bucket).
   */
  flush(): Promise<void> {
    this.lastFlush = Date.now();
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<void> {
    const rows = this.pendingRows.splice(0);
    const now = Math.floor(Date.now() / 1000);
    const statements: { sql: string; args: (string | number)[] }[] = [];
    for (let i = 0; i < rows.length; i += FLUSH_CHUNK) {
      const chunk = rows.slice(i, i + FLUSH_CHUNK);
      statements.push({
        sql:
          `INSERT INTO "MetricPoint" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES ` +
          chunk.map(() => `(${COLUMNS.map(() => "?").join(", ")})`).join(", ") +
          ` ON CONFLICT ("subject", "resolution", "ts") DO UPDATE SET ` +
          COLUMNS.slice(3)
            .map((c) => `"${c}" = excluded."${c}"`)
            .join(", "),
        args: chunk.flatMap(({ subject, resolution, point: p }) => [
          subject,
          resolution,
          Math.floor(p.t / 1000),
          p.cpuPct,
          p.memUsed,
          p.memLimit,
          p.diskRead,
          p.diskWrite,
          p.netRx,
          p.netTx,
        ]),
      });
    }
    for (const t of TIERS) {
      statements.push({
        sql: `DELETE FROM "MetricPoint" WHERE "resolution" = ? AND "ts" < ?`,
        args: [t.resolution, now - t.keepSeconds],
      });
    }
    try {
      await this.db.$transaction(statements.map((st) => this.db.$executeRawUnsafe(st.sql, ...st.args)));
    } catch (err) {
      this.log.warn({ err, rows: rows.length }, "metrics flush failed; points dropped");
    }
  }

  forget(id: string): void {
    this.rings.delete(id);
    this.last.delete(id);
    for (const t of TIERS) this.buckets.delete(bucketKey(id, t.resolution));
  }

  private bucket(subject: string, p: MetricPoint) {
    for (const tier of TIERS) {
      const key = bucketKey(subject, tier.resolution);
      const ts = Math.floor(p.t / 1000 / tier.resolution) * tier.resolution;
      let b = this.buckets.get(key);
      if (b && b.ts !== ts) {
        this.pendingRows.push({ subject, resolution: tier.resolution, point: average(b.points, b.ts * 1000) });
        b = undefined;
      }
      if (!b) this.buckets.set(key, (b = { ts, points: [] }));
      b.points.push(p);
    }
  }

  private accumulate(prev: GuestSample | undefined, cur: GuestSample) {
    let t = this.totals.get(cur.id);
    if (!t) this.totals.set(cur.id, (t = { cpuSeconds: 0, diskRead: 0, diskWrite: 0, netRx: 0, netTx: 0 }));
    // After a reset (counter went down) the new value is all new work since the restart.
    const d = (a: number | undefined, b: number) => (a === undefined ? 0 : b >= a ? b - a : b);
    t.cpuSeconds += d(prev?.cpuTimeNs, cur.cpuTimeNs) / 1e9;
    t.diskRead += d(prev?.diskReadBytes, cur.diskReadBytes);
    t.diskWrite += d(prev?.diskWriteBytes, cur.diskWriteBytes);
    t.netRx += d(prev?.netRxBytes, cur.netRxBytes);
    t.netTx += d(prev?.netTxBytes, cur.netTxBytes);
  }
}
