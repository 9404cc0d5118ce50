// The container record store: every container's record in memory, each write also written to
// its state.json (record.ts) at once, so the disk is always what a restarted Tandem re-adopts.
import { notFound } from "../../../domain/errors";
import { listContainerDirs, type ContainerLayout } from "./layout";
import { readRecord, writeRecord, type ContainerRecord } from "./record";

export class RecordStore {
  private readonly records = new Map<string, ContainerRecord>();

  constructor(private readonly layout: ContainerLayout) {}

  /** Reads every container directory; the ones without a valid state.json are returned apart. */
  load(): { loaded: ContainerRecord[]; invalid: { uuid: string; error: string }[] } {
    const loaded: ContainerRecord[] = [];
    const invalid: { uuid: string; error: string }[] = [];
    for (const uuid of listContainerDirs(this.layout.containersDir)) {
      try {
        const rec = readRecord(this.layout.paths(uuid).record);
        this.records.set(uuid, rec);
        loaded.push(rec);
      } catch (e) {
        invalid.push({ uuid, error: String(e) });
      }
    }
    return { loaded, invalid };
  }

  has(uuid: string): boolean {
    return this.records.has(uuid);
  }

  find(uuid: string): ContainerRecord | undefined {
    return this.records.get(uuid);
  }

  /** Throws AppError NOT_FOUND for a container with no record. */
  get(uuid: string): ContainerRecord {
    const r = this.records.get(uuid);
    if (!r) throw notFound("container", uuid);
    return r;
  }

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  save(rec: ContainerRecord): void {
    this.records.set(rec.uuid, rec);
    writeRecord(this.layout.paths(rec.uuid).record, rec);
  }

  update(uuid: string, patch: Partial<ContainerRecord>): ContainerRecord {
    const next = { ...this.get(uuid), ...patch };
    this.save(next);
    return next;
  }

  /** Drops the record from memory (its directory is the caller's to remove). */
  forget(uuid: string): void {
    this.records.delete(uuid);
  }
}
