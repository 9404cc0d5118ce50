// Tandem's view of its guests: the truth read from the drivers joined with Tandem's own rows
// (tags, notes), the placeholders of guests still being created, and the names in use. Names
// are looked up in Tandem's rows (every guest Tandem made or adopted has one) plus the
// placeholders, so a create never lists every backend to find out whether a name is free.
// Tandem's rows are read from SQLite once and kept in memory: this class is their only writer,
// and a list or a re-read after an event no longer costs a query (under load, reading every
// row for every list was the largest database cost on the event loop).
import type { Guest, GuestCapabilities, GuestKind } from "../contract/guest";
import type { Db } from "../db/client";
import type { DriverGuest } from "../domain/driver";
import { AppError } from "../domain/errors";
import { parseGuestId } from "../domain/ids";
import type { Bus } from "./bus";
import type { DriverRegistry } from "./driver-registry";
import type { Logger } from "./logger";

type MetaRow = { guestId: string; hostId: string; kind: string; name: string; tags: string; notes: string };

type NicsReleased = (
  rows: { networkId: string; mac: string; address: string | null }[],
  guestName?: string,
) => Promise<void>;

export class GuestCatalog {
  /** Guests being created: shown as 'creating' until the driver has them. */
  private readonly pending = new Map<string, Guest>();
  /** Tandem's rows by guest id, loaded on first use and kept in step by every write below. */
  private metas: Promise<Map<string, MetaRow>> | null = null;

  constructor(
    private readonly drivers: DriverRegistry,
    private readonly db: Db,
    private readonly bus: Bus,
    private readonly log: Logger,
  ) {}

  /** Told which NIC rows forget dropped, and whose (guest-nics.ts removes their DHCP/DNS entries). */
  private nicsReleased: NicsReleased = () => Promise.resolve();

  onNicsReleased(fn: NicsReleased): void {
    this.nicsReleased = fn;
  }

  /** The truth from every driver, joined with Tandem's metadata. A failing backend is skipped. */
  async list(): Promise<Guest[]> {
    const metas = await this.rows();
    const lists = await Promise.all(
      this.drivers.all().map(({ driver }) =>
        driver.list().catch((err: unknown) => {
          this.log.warn({ err, kind: driver.kind }, "backend list failed");
          return [] as DriverGuest[];
        }),
      ),
    );
    // Capabilities are the driver's, not the guest's: worked out once per driver, not per guest.
    const caps = new Map<string, GuestCapabilities>();
    const capsOf = (g: DriverGuest) => {
      const k = `${g.hostId}/${g.kind}`;
      let c = caps.get(k);
      if (!c) caps.set(k, (c = this.drivers.capabilitiesOf(g.hostId, g.kind)));
      return c;
    };
    const guests = lists.flat().map((g) => this.join(g, metas.get(g.id), capsOf(g)));
    const seen = new Set(guests.map((g) => g.id));
    for (const p of this.pending.values()) if (!seen.has(p.id)) guests.push(p);
    return guests.sort((a, b) => byName.compare(a.name, b.name));
  }

  async get(id: string): Promise<Guest> {
    return (await this.read(id)).guest;
  }

  /**
   * Re-reads a guest and pushes it to every browser. A guest that appeared on the host since
   * the last reconcile (`virsh define`) gets its row here, so its name counts as taken.
   */
  async publish(id: string): Promise<Guest> {
    const { guest, known } = await this.read(id);
    if (!known) await this.record(guest);
    this.bus.emit("guest:upsert", guest);
    return guest;
  }

  /** CONFLICT when a guest of `kind` on `hostId` already has (or is being created with) `name`. */
  async assertNameFree(hostId: string, kind: GuestKind, name: string): Promise<void> {
    const conflict = () => new AppError("CONFLICT", `a ${kind} named '${name}' already exists`);
    if ([...this.pending.values()].some((g) => g.hostId === hostId && g.kind === kind && g.name === name)) {
      throw conflict();
    }
    let row: MetaRow | undefined;
    for (const m of (await this.rows()).values()) {
      if (m.hostId === hostId && m.kind === kind && m.name === name) row = m;
    }
    if (!row) return;
    // A row outlives its guest only until the next reconcile; ask that one guest's backend.
    const parsed = parseGuestId(row.guestId);
    const driver = parsed && this.drivers.find(parsed.hostId, parsed.kind);
    if (!driver) return; // its backend is not enabled here: nothing of that name can clash
    const exists = await driver.get(row.guestId).then(
      () => true,
      (err: unknown) => !(err instanceof AppError && err.code === "NOT_FOUND"),
    );
    if (exists) throw conflict();
    await this.forget(row.guestId);
  }

  private async read(id: string): Promise<{ guest: Guest; known: boolean }> {
    const pending = this.pending.get(id);
    if (pending) return { guest: pending, known: true };
    const g = await this.drivers.forGuest(id).get(id);
    const meta = (await this.rows()).get(id);
    return { guest: this.join(g, meta), known: meta !== undefined };
  }

  /** Shows a placeholder for a guest being created, until `settle`. */
  addPending(g: Guest): void {
    this.pending.set(g.id, g);
    this.bus.emit("guest:upsert", g);
  }

  settle(id: string): void {
    this.pending.delete(id);
  }

  isPending(id: string): boolean {
    return this.pending.has(id);
  }

  /** Tandem's row for a guest: written when a create starts or a guest is adopted. */
  async record(g: { id: string; hostId: string; kind: GuestKind; name: string; tags?: string[] }): Promise<void> {
    const rows = await this.rows();
    const row = await this.db.guestMeta.upsert({
      where: { guestId: g.id },
      create: { guestId: g.id, hostId: g.hostId, kind: g.kind, name: g.name, tags: JSON.stringify(g.tags ?? []) },
      update: {},
    });
    rows.set(row.guestId, row);
  }

  /**
   * Rows for guests found on a host that Tandem has none for (adopted), in one statement: a
   * first start beside 250 guests made 250 upserts, and each query leaves native memory behind
   * (the idle server's RSS grew with them).
   */
  async adopt(guests: { id: string; hostId: string; kind: GuestKind; name: string }[]): Promise<void> {
    const rows = await this.rows();
    const fresh = guests.filter((g) => !rows.has(g.id));
    if (fresh.length === 0) return;
    const data = fresh.map((g) => ({ guestId: g.id, hostId: g.hostId, kind: g.kind, name: g.name }));
    await this.db.guestMeta.createMany({ data });
    for (const d of data) rows.set(d.guestId, { ...d, tags: "[]", notes: "" });
  }

  /**
   * Drops Tandem's rows: the metadata and the guest's NICs (which hold its networks). Best effort
   * where the caller's own error matters more (a full disk).
   */
  async forget(id: string): Promise<void> {
    const rows = await this.rows();
    const nics = await this.db.nic.findMany({
      where: { guestId: id },
      select: { networkId: true, mac: true, address: true },
    });
    const name = rows.get(id)?.name;
    await this.db.$transaction([
      this.db.nic.deleteMany({ where: { guestId: id } }),
      // Its volumes stay (detached) unless a purge deleted them first (storage-service.ts).
      this.db.volumeAttachment.deleteMany({ where: { guestId: id } }),
      this.db.guestMeta.deleteMany({ where: { guestId: id } }),
    ]);
    rows.delete(id);
    if (nics.length) await this.nicsReleased(nics, name);
  }

  /** Forgets a guest that is gone and tells every browser. */
  async removed(id: string): Promise<void> {
    this.pending.delete(id);
    try {
      await this.forget(id);
    } finally {
      this.bus.emit("guest:removed", { id });
    }
  }

  async renamed(id: string, name: string): Promise<void> {
    const rows = await this.rows();
    await this.db.guestMeta.updateMany({ where: { guestId: id }, data: { name } });
    const row = rows.get(id);
    if (row) rows.set(id, { ...row, name });
  }

  /** Tags and notes: Tandem's own fields. */
  async updateMeta(guest: Guest, patch: { tags?: string[]; notes?: string }): Promise<Guest> {
    const rows = await this.rows();
    const row = await this.db.guestMeta.upsert({
      where: { guestId: guest.id },
      create: {
        guestId: guest.id,
        hostId: guest.hostId,
        kind: guest.kind,
        name: guest.name,
        tags: JSON.stringify(patch.tags ?? guest.tags),
        notes: patch.notes ?? guest.notes,
      },
      update: {
        ...(patch.tags ? { tags: JSON.stringify(patch.tags) } : {}),
        ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      },
    });
    rows.set(row.guestId, row);
    return this.publish(guest.id);
  }

  /** A copy of Tandem's rows by guest id (the reconcile walks it while it records and forgets). */
  async metaMap(): Promise<Map<string, MetaRow>> {
    return new Map(await this.rows());
  }

  private rows(): Promise<Map<string, MetaRow>> {
    this.metas ??= this.db.guestMeta.findMany().then(
      (rows) => new Map(rows.map((r) => [r.guestId, r])),
      (err: unknown) => {
        this.metas = null; // a failed first read is tried again by the next caller
        throw err;
      },
    );
    return this.metas;
  }

  /** A placeholder's full shape, before the driver has the guest. */
  placeholder(g: Omit<Guest, "state" | "createdAt" | "adopted" | "notes" | "ipAddresses" | "capabilities">): Guest {
    return {
      ...g,
      state: "creating",
      createdAt: new Date().toISOString(),
      adopted: false,
      notes: "",
      ipAddresses: [],
      capabilities: this.drivers.capabilitiesOf(g.hostId, g.kind),
    };
  }

  private join(
    g: DriverGuest,
    meta?: { tags: string; notes: string },
    capabilities = this.drivers.capabilitiesOf(g.hostId, g.kind),
  ): Guest {
    return { ...g, tags: parseTags(meta?.tags), notes: meta?.notes ?? "", capabilities };
  }
}

/** The order `a.localeCompare(b)` gives, with one collator instead of one per comparison. */
const byName = new Intl.Collator();

function parseTags(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
