// GuestNics on real SQLite with a recording realizer (no host changes): addresses chosen in the
// write transaction (two guests recorded at once get different ones), fixed addresses checked and
// refused when taken (409 naming the field), the host entries each NIC gets (a DHCP reservation
// for VMs only, DNS names on the guest's first NIC on a network, none for a name that is not one
// DNS label, and of two guests with one name only the older one's), and their removal with the rows.
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Network } from "../contract/network";
import { openDb, type Db } from "../db/client";
import type { NetworkRealizer, NicHostEntry } from "../domain/network-realizer";
import { silentLogger } from "../domain/logger";
import { GuestNics } from "../services/guest-nics";
import { NetworkService } from "../services/network-service";

describe("guest NIC rows and host entries", () => {
  let tmp = "";
  let db: Db;
  let nics: GuestNics;
  let networkId = "";
  const hosts = new Map<string, NicHostEntry>();
  const realizer: NetworkRealizer = {
    ensure: async () => {},
    update: async () => {},
    remove: async () => {},
    setHost: async (_n: Network, e: NicHostEntry) => void hosts.set(e.mac, e),
    removeHost: async (_n: Network, e: NicHostEntry) => void hosts.delete(e.mac),
  };

  beforeAll(async () => {
    const template = process.env.TANDEM_TEST_TEMPLATE_DB;
    if (!template) throw new Error("globalSetup did not prepare a template database");
    tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-nicrows-"));
    copyFileSync(template, path.join(tmp, "tandem.db"));
    db = await openDb(`file:${path.join(tmp, "tandem.db")}`);
    const networks = new NetworkService(db, {
      taken: [],
      log: silentLogger,
      host: () => ({ interfaces: [], addresses: [] }),
    });
    networks.addRealizer(realizer);
    nics = new GuestNics(db, networks, silentLogger);
    networkId = (
      await networks.create("admin", {
        name: "rows",
        type: "isolated",
        ipv4: { subnet: "10.244.0.0/24", gateway: "10.244.0.1", dhcp: { start: "10.244.0.128", end: "10.244.0.254" } },
      })
    ).id;
  });

  afterAll(async () => {
    await db?.$disconnect();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** A guest's metadata row and its NICs written as a create does. */
  async function guest(kind: "vm" | "container", name: string, body: { network: string; address?: string }[]) {
    const uuid = randomUUID();
    const id = `local.${kind}.${uuid}`;
    await db.guestMeta.create({ data: { guestId: id, hostId: "local", kind, name } });
    const rows = await nics.record(id, await nics.resolve(body, { kind, uuid }));
    await nics.syncGuest(id);
    return { id, uuid, rows };
  }

  it("chooses addresses in the write, fixed ones checked, and sets each NIC's entries", async () => {
    const [a, b] = await Promise.all([
      guest("vm", "web", [{ network: networkId }]),
      guest("container", "db", [{ network: "rows" }, { network: networkId, address: "10.244.0.77" }]),
    ]);
    const addrs = [...a.rows, ...b.rows].map((r) => r.address);
    expect(new Set(addrs).size).toBe(3);
    expect(addrs).toContain("10.244.0.77");
    expect(addrs.filter((x) => x !== "10.244.0.77").sort()).toEqual(["10.244.0.2", "10.244.0.3"]);
    expect(a.rows[0]!.iface).toBe(`tn${a.uuid.replace(/-/g, "").slice(0, 11)}0`);
    expect(b.rows[1]!.iface).toBe(`vn${b.uuid.replace(/-/g, "").slice(0, 11)}1`);

    expect(hosts.get(a.rows[0]!.mac)).toEqual({
      mac: a.rows[0]!.mac,
      address: a.rows[0]!.address,
      dhcp: true,
      names: ["web", "web.tandem.internal"],
    });
    // A container is configured directly: no DHCP reservation; its second NIC there has no name.
    expect(hosts.get(b.rows[0]!.mac)).toMatchObject({ dhcp: false, names: ["db", "db.tandem.internal"] });
    expect(hosts.get(b.rows[1]!.mac)).toMatchObject({ address: "10.244.0.77", dhcp: false, names: [] });

    await expect(
      nics.resolve([{ network: networkId, address: "10.244.0.77" }], { kind: "vm", uuid: randomUUID() }),
    ).rejects.toThrow(/^nics\[0\]\.address: 10\.244\.0\.77 is taken on 'rows'/);
    await expect(
      nics.resolve([{ network: networkId, address: "10.244.0.130" }], { kind: "vm", uuid: randomUUID() }),
    ).rejects.toThrow(/^nics\[0\]\.address: .* DHCP range/);
  });

  it("gives a shared name to the older guest only, none to a name that is no DNS label, and drops entries with the rows", async () => {
    const older = await guest("container", "twin", [{ network: networkId }]);
    const newer = await guest("vm", "twin", [{ network: networkId }]);
    const odd = await guest("vm", "odd_name", [{ network: networkId }]);
    expect(hosts.get(older.rows[0]!.mac)!.names).toEqual(["twin", "twin.tandem.internal"]);
    expect(hosts.get(newer.rows[0]!.mac)).toMatchObject({ dhcp: true, names: [] });
    expect(hosts.get(odd.rows[0]!.mac)).toMatchObject({ dhcp: true, names: [] });

    await nics.drop(newer.id, () => true);
    expect(hosts.has(newer.rows[0]!.mac)).toBe(false);
    expect(await db.nic.count({ where: { guestId: newer.id } })).toBe(0);

    // When the older one goes (its rows and metadata, as GuestCatalog.forget does), the other takes the name.
    const again = await guest("vm", "twin", [{ network: networkId }]);
    expect(hosts.get(again.rows[0]!.mac)!.names).toEqual([]);
    const gone = await db.nic.findMany({ where: { guestId: older.id } });
    await db.nic.deleteMany({ where: { guestId: older.id } });
    await db.guestMeta.delete({ where: { guestId: older.id } });
    await nics.released(gone, "twin");
    expect(hosts.has(older.rows[0]!.mac)).toBe(false);
    expect(hosts.get(again.rows[0]!.mac)!.names).toEqual(["twin", "twin.tandem.internal"]);
  });
});
