// Keeps Tandem in step with the hosts: follows every driver's events (each one a hint to re-read
// the guest and push it) and reconciles Tandem's rows with what the backends hold.
import { AppError } from "../domain/errors";
import type { DriverGuest } from "../domain/driver";
import type { Db } from "../db/client";
import type { Bus } from "./bus";
import type { DriverRegistry } from "./driver-registry";
import type { GuestCatalog } from "./guest-catalog";
import type { Logger } from "./logger";

export class GuestWatcher {
  private readonly abort = new AbortController();

  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /**
   * Brings the database in line with the hosts: records adopted guests, forgets guests that
   * vanished — but only from a backend that answered, so a daemon outage loses nothing.
   */
  async reconcile(): Promise<void> {
    const metas = await this.catalog.metaMap();
    for (const { hostId, driver } of this.drivers.all()) {
      let guests: DriverGuest[];
      try {
        guests = await driver.list();
      } catch (err) {
        this.log.warn({ err, kind: driver.kind, hostId }, "reconcile skipped: backend unavailable");
        continue;
      }
      const present = new Set(guests.map((g) => g.id));
      await this.catalog.adopt(guests.filter((g) => !metas.has(g.id)));
      for (const [id, m] of metas) {
        if (m.hostId === hostId && m.kind === driver.kind && !present.has(id) && !this.catalog.isPending(id)) {
          await this.catalog.forget(id);
        }
      }
    }
  }

  /** Follows every driver's events until stop(): each event is a hint to re-read the guest. */
  watch(): void {
    for (const { driver } of this.drivers.all()) {
      void (async () => {
        try {
          for await (const ev of driver.events(this.abort.signal)) {
            if (ev.type === "connection") {
              this.log.info({ kind: driver.kind, healthy: ev.healthy, message: ev.message }, "backend connection");
              if (ev.healthy) await this.reconcile().catch((err) => this.log.warn({ err }, "reconcile failed"));
              continue;
            }
            if (this.catalog.isPending(ev.id)) continue;
            if (ev.type === "removed") {
              this.bus.emit("guest:removed", { id: ev.id });
              continue;
            }
            await this.catalog.publish(ev.id).catch((err: unknown) => {
              if (err instanceof AppError && err.code === "NOT_FOUND") this.bus.emit("guest:removed", { id: ev.id });
              else this.log.warn({ err, id: ev.id }, "re-read after event failed");
            });
          }
        } catch (err) {
          if (!this.abort.signal.aborted) this.log.error({ err, kind: driver.kind }, "driver event stream ended");
        }
      })();
    }
  }

  stop(): void {
    this.abort.abort();
  }
}
