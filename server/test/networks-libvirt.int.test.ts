// NetworkService with the libvirt realizer registered, on a real SQLite database and libvirtd:
// a row and its libvirt network come and go together, a network the realizer refuses leaves no
// row behind, and a VLAN network's links are made, made again at start and removed (or, on a
// kernel without 802.1Q, its create is refused naming type). The default network is not made here (it would take 10.88/16
// on the host while the test runs); every libvirt network made is removed by name in afterAll.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readlinkSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdIpForward } from "./ip-forward";
import { connect, type Connection } from "../../native/libvirt/index";
import type { Network } from "../contract/network";
import { openDb, type Db } from "../db/client";
import { silentLogger } from "../domain/logger";
import { NetworkService } from "../services/network-service";
import { VmContext } from "../drivers/vm/libvirt/context";
import { LibvirtNetworkRealizer } from "../drivers/vm/libvirt/network-realizer";
import { libvirtNetworkName } from "../drivers/vm/libvirt/network-xml";
import { vlanLinkName } from "../drivers/vm/libvirt/vlan-bridge";
import { haveBackend, URI } from "../drivers/vm/libvirt/test/support";

const run = haveBackend();
const octet = 100 + (process.pid % 100);
/** A veth (this kernel has no dummy module): a bridged uplink that is no bridge, and the VLAN case's parent (made and deleted here). */
const parent = `tdt-dm-${randomBytes(3).toString("hex")}`;

describe.skipIf(!run)("networks service with the libvirt realizer", () => {
  let tmp: string;
  let db: Db;
  let ctx: VmContext;
  let conn: Connection;
  let service: NetworkService;
  const names = new Set<string>();
  const forwarding = holdIpForward();

  beforeAll(async () => {
    const template = process.env.TANDEM_TEST_TEMPLATE_DB;
    if (!template) throw new Error("globalSetup did not prepare a template database");
    tmp = mkdtempSync(path.join(os.tmpdir(), `tandem-netsvc-${randomBytes(3).toString("hex")}-`));
    copyFileSync(template, path.join(tmp, "tandem.db"));
    db = await openDb(`file:${path.join(tmp, "tandem.db")}`);
    ctx = new VmContext({ uri: URI, hostId: "local", dataDir: tmp, accel: "qemu" });
    conn = await connect(URI);
    service = new NetworkService(db, { taken: [], log: silentLogger });
    service.addRealizer(new LibvirtNetworkRealizer(ctx));
  });

  afterAll(async () => {
    for (const n of (await db?.network.findMany()) ?? []) names.add(libvirtNetworkName(n));
    for (const name of names) {
      await conn?.networkDestroy(name).catch(() => undefined);
      await conn?.networkUndefine(name).catch(() => undefined);
    }
    await forwarding.restore(conn); // libvirt turned ip_forward on for a NAT network
    if (existsSync(`/sys/class/net/${parent}`)) execFileSync("ip", ["link", "del", parent]);
    await ctx?.close();
    await conn?.close();
    await db?.$disconnect();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const libvirtNet = async (id: string) =>
    (await conn.listNetworks()).find((x) => x.name === libvirtNetworkName({ id }));

  it("create makes the libvirt network, a DHCP change reaches it, delete removes both", async () => {
    const n = await service.create("operator", {
      name: `svc-${octet}`,
      type: "isolated",
      ipv4: {
        subnet: `10.220.${octet}.0/24`,
        gateway: `10.220.${octet}.1`,
        dhcp: { start: `10.220.${octet}.100`, end: `10.220.${octet}.150` },
      },
    });
    names.add(libvirtNetworkName(n));
    expect(await libvirtNet(n.id)).toMatchObject({ active: true, bridge: n.bridge });

    await service.update("operator", n.id, {
      ipv4: { ...n.ipv4!, dhcp: { start: `10.220.${octet}.160`, end: `10.220.${octet}.200` } },
    });
    expect(await conn.networkGetXMLDesc(libvirtNetworkName(n))).toContain(`start='10.220.${octet}.160'`);

    await service.remove("operator", n.id);
    expect(await libvirtNet(n.id)).toBeUndefined();
    expect(await db.network.findUnique({ where: { id: n.id } })).toBeNull();
  });

  it("a network the realizer refuses (a bridged uplink that is no bridge) leaves no row and no libvirt network", async () => {
    execFileSync("ip", ["link", "add", parent, "type", "veth", "peer", "name", `${parent}p`]);
    const before = await db.network.count();
    const err = await service
      .create("admin", { name: `br-${octet}`, type: "bridged", uplink: parent })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "VALIDATION", details: { field: "uplink" } });
    expect(await db.network.count()).toBe(before);
  });

  it("a VLAN network has no Tandem DNS; its links are made, made again at start and removed (no 802.1Q: refused, no row)", async () => {
    const before = await db.network.count();
    const made = await service
      .create("admin", { name: `vlan-${octet}`, type: "vlan", vlan: { id: 9, parent } })
      .catch((e: unknown) => e);
    if (made instanceof Error) {
      // This kernel cannot tag: the realizer's refusal names the field and undoes the row.
      expect(made).toMatchObject({ code: "VALIDATION", details: { field: "type" } });
      expect(made.message).toMatch(/^type: this host's kernel has no 802\.1Q VLAN support/);
      expect(await db.network.count()).toBe(before);
      // A VLAN row kept from a kernel that could (restoreVlans at start): logged, not fatal, no link made.
      const id = randomBytes(8).toString("hex");
      const bridge = `tdn${randomBytes(4).toString("hex")}`;
      await db.network.create({
        data: {
          id,
          name: `vlan-kept-${octet}`,
          type: "vlan",
          bridge,
          vlanId: 9,
          vlanParent: parent,
          dnsForwarders: "[]",
        },
      });
      names.add(libvirtNetworkName({ id }));
      await service.restoreVlans();
      expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
      expect(existsSync(`/sys/class/net/${vlanLinkName(bridge)}`)).toBe(false);
      await db.network.delete({ where: { id } });
      return;
    }
    const n = made as Network;
    expect(n.dnsNames).toBe(false);
    const link = vlanLinkName(n.bridge);
    expect(path.basename(readlinkSync(`/sys/class/net/${link}/master`))).toBe(n.bridge);
    // What a host reboot loses; the start's restoreVlans makes it again and the network runs.
    execFileSync("ip", ["link", "del", n.bridge]);
    await service.restoreVlans();
    expect(path.basename(readlinkSync(`/sys/class/net/${link}/master`))).toBe(n.bridge);
    expect((await conn.listNetworks()).find((x) => x.name === libvirtNetworkName(n))?.active).toBe(true);
    await service.remove("admin", n.id);
    expect(existsSync(`/sys/class/net/${n.bridge}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${link}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${parent}`)).toBe(true);
  });
});
