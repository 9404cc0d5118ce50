// The libvirt network realizer against the real libvirtd: a NAT network whose uplink is the
// netns rig's upstream veth and whose DNS forwarder is the upstream's dnsmasq (a name only the
// upstream knows resolves through the network's own dnsmasq), its DHCP range changed live,
// its forwarder stored for later while in use and applied by a restart when not, remove; an
// isolated network with IPv6 and no forwarders; a bridged one on a host bridge the test makes;
// a VLAN one on Tandem's VLAN bridge over the upstream veth (or, on a kernel without 802.1Q, its
// clear refusal); a non-bridge uplink refused. Every libvirt network is named tandem-net-<RUN>-…, and afterAll destroys and
// undefines them by name and stops the rig even when a step failed.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { holdIpForward, ipForward } from "../../../test/ip-forward";
import { connect, NetworkXMLFlag, type Connection } from "../../../../native/libvirt/index";
import type { Network } from "../../../contract/network";
import { AppError } from "../../../domain/errors";
import { startUpstream, UPSTREAM_NAME, type Upstream } from "../../../test/netns-rig";
import { VmContext } from "./context";
import { LibvirtNetworkRealizer } from "./network-realizer";
import { libvirtNetworkName, summarize } from "./network-xml";
import { removeVlanBridge, vlanBridgeOf, vlanLinkName } from "./vlan-bridge";
import { haveBackend, URI } from "./test/support";

const run = haveBackend();
const RUN = randomBytes(3).toString("hex");
const octet = 100 + (process.pid % 100);
/** A host bridge the bridged test makes and deletes (tdt-… like the rig's links). */
const hostBridge = `tdt-hb-${RUN}`;

function network(o: Partial<Network> & { id: string }): Network {
  return {
    name: o.id,
    type: "nat",
    ipv4: null,
    ipv6: null,
    uplink: null,
    vlan: null,
    dnsForwarders: [],
    dnsNames: true,
    bridge: `tdn${randomBytes(4).toString("hex")}`,
    createdAt: new Date().toISOString(),
    usedBy: [],
    ...o,
  };
}

describe.skipIf(!run)("libvirt networks for Tandem networks", () => {
  let tmp: string;
  let ctx: VmContext;
  let conn: Connection;
  let upstream: Upstream | null = null;
  let realizer: LibvirtNetworkRealizer;
  const made: Network[] = [];
  const forwarding = run ? holdIpForward() : null;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), `tandem-netreal-${RUN}-`));
    ctx = new VmContext({ uri: URI, hostId: "local", dataDir: tmp, accel: "qemu" });
    conn = await connect(URI);
    realizer = new LibvirtNetworkRealizer(ctx);
    upstream = await startUpstream();
  });

  afterAll(async () => {
    for (const n of made) {
      const name = libvirtNetworkName(n);
      await conn?.networkDestroy(name).catch(() => undefined);
      await conn?.networkUndefine(name).catch(() => undefined);
      if (n.type === "vlan") await removeVlanBridge(vlanBridgeOf(n)).catch(() => undefined);
    }
    // libvirt turned ip_forward on (host-wide) for the NAT network and leaves it on: put it back.
    await forwarding?.restore(conn);
    await upstream?.stop();
    if (existsSync(`/sys/class/net/${hostBridge}`)) execFileSync("ip", ["link", "del", hostBridge]);
    await ctx?.close();
    await conn?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const info = async (n: Network) => (await conn.listNetworks()).find((x) => x.name === libvirtNetworkName(n));

  it("a NAT network out of the upstream veth answers the upstream's names through its dnsmasq", async () => {
    const nat = network({
      id: `${RUN}-nat`,
      uplink: upstream!.hostIf,
      dnsForwarders: [upstream!.dnsServer],
      ipv4: {
        subnet: `10.218.${octet}.0/24`,
        gateway: `10.218.${octet}.1`,
        dhcp: { start: `10.218.${octet}.100`, end: `10.218.${octet}.200` },
      },
    });
    made.push(nat);
    await realizer.ensure(nat);
    await realizer.ensure(nat); // idempotent: a retry after a crash

    const i = await info(nat);
    expect(i).toMatchObject({ active: true, persistent: true, autostart: true, bridge: nat.bridge });
    expect(existsSync(`/sys/class/net/${nat.bridge}/bridge`)).toBe(true);
    const live = summarize(await conn.networkGetXMLDesc(libvirtNetworkName(nat)));
    // mode open: libvirt writes no firewall rules (Tandem's nft table masquerades out of the
    // uplink); STP off, so a new port forwards at once.
    expect(live.forward).toEqual({ mode: "open", dev: null, natIpv6: false });
    expect(readFileSync(`/sys/class/net/${nat.bridge}/bridge/stp_state`, "utf8").trim()).toBe("0");
    expect(live.forwarders).toEqual([upstream!.dnsServer]);
    expect(ipForward()).toBe("1"); // libvirt switched it on for the NAT network

    const dns = new Resolver({ timeout: 2000, tries: 2 });
    dns.setServers([`10.218.${octet}.1`]);
    expect(await dns.resolve4(UPSTREAM_NAME)).toEqual([upstream!.upstreamAddress]);

    // A new DHCP range goes in live (virNetworkUpdate), without a restart.
    const ranged = { ...nat, ipv4: { ...nat.ipv4!, dhcp: { start: `10.218.${octet}.50`, end: `10.218.${octet}.90` } } };
    await realizer.update(ranged);
    for (const flags of [0, NetworkXMLFlag.INACTIVE]) {
      expect(summarize(await conn.networkGetXMLDesc(libvirtNetworkName(nat), flags)).dhcp).toEqual([
        { start: `10.218.${octet}.50`, end: `10.218.${octet}.90` },
      ]);
    }
    // Forwarders cannot change live. In use: stored in the config, the running network (and
    // the guests' NICs on its bridge) left alone until it next starts.
    const inUse = { ...ranged, dnsForwarders: ["198.18.0.254"], usedBy: [{ id: "vm-x", name: "x" }] };
    await realizer.update(inUse);
    expect(summarize(await conn.networkGetXMLDesc(libvirtNetworkName(nat))).forwarders).toEqual([upstream!.dnsServer]);
    expect(
      summarize(await conn.networkGetXMLDesc(libvirtNetworkName(nat), NetworkXMLFlag.INACTIVE)).forwarders,
    ).toEqual(["198.18.0.254"]);
    // Unused: redefined and restarted, so live and config agree.
    const noForwarders = { ...ranged, dnsForwarders: [] };
    await realizer.update(noForwarders);
    for (const flags of [0, NetworkXMLFlag.INACTIVE]) {
      expect(summarize(await conn.networkGetXMLDesc(libvirtNetworkName(nat), flags)).forwarders).toEqual([]);
    }
    expect((await info(nat))?.active).toBe(true);

    await realizer.remove(noForwarders);
    expect(await info(nat)).toBeUndefined();
    expect(existsSync(`/sys/class/net/${nat.bridge}`)).toBe(false);
    await realizer.remove(noForwarders); // already gone: nothing to do
  });

  it("an isolated network has no <forward> and no forwarders", async () => {
    const iso = network({
      id: `${RUN}-iso`,
      type: "isolated",
      ipv4: { subnet: `10.219.${octet}.0/24`, gateway: `10.219.${octet}.1`, dhcp: null },
      ipv6: { subnet: `fd00:219:${octet}::/64`, gateway: `fd00:219:${octet}::1` },
    });
    made.push(iso);
    await realizer.ensure(iso);
    expect(await info(iso)).toMatchObject({ active: true, autostart: true, bridge: iso.bridge });
    const live = summarize(await conn.networkGetXMLDesc(libvirtNetworkName(iso)));
    expect(live.forward).toBeNull();
    expect(live.forwarders).toEqual([]);
    expect(live.dhcp).toEqual([]);
    expect(live.ips).toEqual([
      { family: "ipv4", address: `10.219.${octet}.1`, prefix: 24 },
      { family: "ipv6", address: `fd00:219:${octet}::1`, prefix: 64 },
    ]);
    await realizer.remove(iso);
    expect(await info(iso)).toBeUndefined();
  });

  it("a bridged network plugs into an existing host bridge and leaves it there on remove", async () => {
    execFileSync("ip", ["link", "add", hostBridge, "type", "bridge"]);
    const bridged = network({ id: `${RUN}-bridged`, type: "bridged", uplink: hostBridge, dnsNames: false });
    made.push(bridged);
    await realizer.ensure(bridged);
    expect(await info(bridged)).toMatchObject({ active: true, autostart: true, bridge: hostBridge });
    expect(summarize(await conn.networkGetXMLDesc(libvirtNetworkName(bridged))).forward?.mode).toBe("bridge");
    await realizer.remove(bridged);
    expect(await info(bridged)).toBeUndefined();
    expect(existsSync(`/sys/class/net/${hostBridge}/bridge`)).toBe(true);
  });

  it("a VLAN network joins Tandem's VLAN bridge in libvirt's bridge mode (without 802.1Q in the kernel: refused, naming type, nothing left)", async () => {
    const vlan = network({
      id: `${RUN}-vlan`,
      type: "vlan",
      vlan: { id: 7, parent: upstream!.hostIf },
      dnsNames: false,
    });
    made.push(vlan);
    const link = vlanLinkName(vlan.bridge);
    const e1 = await realizer.ensure(vlan).catch((e: unknown) => e);
    if (e1 === undefined) {
      // This kernel tags: the 802.1Q link on the parent is the bridge's port, libvirt joins the bridge.
      expect(await info(vlan)).toMatchObject({ active: true, autostart: true, bridge: vlan.bridge });
      expect(summarize(await conn.networkGetXMLDesc(libvirtNetworkName(vlan))).forward?.mode).toBe("bridge");
      expect(path.basename(readlinkSync(`/sys/class/net/${link}/master`))).toBe(vlan.bridge);
      // Gone after a reboot: ensure makes it again and the network runs.
      execFileSync("ip", ["link", "del", vlan.bridge]);
      await realizer.ensure(vlan);
      expect(path.basename(readlinkSync(`/sys/class/net/${link}/master`))).toBe(vlan.bridge);
      await realizer.remove(vlan);
      expect(await info(vlan)).toBeUndefined();
    } else {
      expect(e1).toBeInstanceOf(AppError);
      expect(e1).toMatchObject({ code: "VALIDATION", details: { field: "type" } });
      expect((e1 as Error).message).toMatch(/^type: this host's kernel has no 802\.1Q VLAN support/);
      expect(await info(vlan)).toBeUndefined();
    }
    expect(existsSync(`/sys/class/net/${vlan.bridge}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${link}`)).toBe(false);
    expect(existsSync(`/sys/class/net/${upstream!.hostIf}`)).toBe(true);
  });

  it("refuses a bridged network whose uplink is not a bridge, naming the field", async () => {
    const bridged = network({ id: `${RUN}-br`, type: "bridged", uplink: upstream!.hostIf, dnsNames: false });
    made.push(bridged);
    const e2 = await realizer.ensure(bridged).catch((e: unknown) => e);
    expect(e2).toMatchObject({ code: "VALIDATION", details: { field: "uplink" } });
    expect(await info(bridged)).toBeUndefined();
  });
});
