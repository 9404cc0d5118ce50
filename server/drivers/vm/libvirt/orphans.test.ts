// The orphan sweep without libvirt: a vms/<uuid>/ directory goes only when no listed domain
// owns it, no create is filling it and libvirt, asked again, has no such domain; anything in
// doubt (a failing lookup, a name that is not a uuid) stays. It runs once per process.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, LibvirtError, type Connection } from "../../../../native/libvirt/index";
import type { Logger } from "../../../domain/logger";
import { VmContext } from "./context";
import { OrphanSweep } from "./orphans";

const tmp = mkdtempSync(path.join(tmpdir(), "tandem-orphans-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function rig(name: string, defined: Record<string, "yes" | "broken">) {
  const dataDir = path.join(tmp, name);
  const warned: object[] = [];
  const log: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (o) => void warned.push(o as object),
    error: () => undefined,
  };
  const conn = {
    isAlive: () => true,
    close: async () => undefined,
    onDomainEvent: async () => async () => undefined,
    lookupDomainByUUID: async (u: string) => {
      if (defined[u] === "yes") return { free: () => undefined };
      if (defined[u] === "broken") throw new LibvirtError(ErrorCode.SYSTEM_ERROR, 7, "connection reset");
      throw new LibvirtError(ErrorCode.NO_DOMAIN, 10, `no domain with matching uuid '${u}'`);
    },
  };
  const ctx = new VmContext({
    uri: "qemu:///system",
    hostId: "local",
    dataDir,
    accel: "qemu",
    logger: log,
    connect: async () => conn as unknown as Connection,
  });
  /** A VM directory as a create leaves it before libvirt's define (unfinished) or after. */
  const dir = (entry: string, unfinished = true) => {
    const d = path.join(dataDir, "vms", entry);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, "disk.qcow2"), "x");
    if (unfinished) writeFileSync(path.join(d, ".unfinished"), "");
    return d;
  };
  return { ctx, sweep: new OrphanSweep(ctx), dir, warned };
}

describe("OrphanSweep", () => {
  it("removes only the directories nobody owns, and logs each", async () => {
    const { ctx, sweep, dir, warned } = rig("mixed", { [U(4)]: "yes", [U(5)]: "broken" });
    const listed = dir(U(1)); // a domain in the listing
    const orphan = dir(U(2)); // nothing: the create was killed before libvirt had the domain
    const building = dir(U(3)); // a create filling it right now
    const late = dir(U(4)); // defined after the listing was read
    const doubt = dir(U(5)); // libvirt could not answer
    const foreign = dir("lost+found"); // not a name Tandem makes
    const kept = dir(U(8), false); // a VM deleted without purge: its files are the user's
    let release!: () => void;
    const held = sweep.whileBuilding(U(3), () => new Promise<void>((r) => (release = r)));
    expect(await sweep.sweep(new Set([U(1)]))).toEqual([U(2)]);
    expect(existsSync(orphan)).toBe(false);
    for (const stays of [listed, building, late, doubt, foreign, kept]) expect(existsSync(stays)).toBe(true);
    expect(warned).toEqual([{ uuid: U(2) }]);
    // Once the create is over (here: it failed and left its directory), the next sweep takes it.
    release();
    await held;
    expect(await sweep.sweep(new Set([U(1)]))).toEqual([U(3)]);
    await ctx.close();
  });

  it("sweeps on the first listing only", async () => {
    const { ctx, sweep, dir } = rig("once", {});
    const first = dir(U(6));
    await sweep.onListing(new Set());
    expect(existsSync(first)).toBe(false);
    const second = dir(U(7));
    await sweep.onListing(new Set());
    expect(existsSync(second)).toBe(true);
    await ctx.close();
  });

  it("does nothing when no VM was ever made", async () => {
    const { ctx, sweep } = rig("empty", {});
    expect(await sweep.sweep(new Set())).toEqual([]);
    await ctx.close();
  });
});
