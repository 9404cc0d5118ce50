// The VM driver's NetworkRealizer: each Tandem network is one persistent, autostarted libvirt
// network (libvirt owns the bridge, its dnsmasq for DHCP/DNS and the NAT rules). Every
// definition is read back and compared with what was asked (libvirt's define path does not
// validate everything), a change goes through virNetworkUpdate where libvirt can apply it live
// (the DHCP range) and otherwise through a redefinition, restarting the network only when no
// guest is on it. All steps are idempotent: the service may call them again after a crash.
import { existsSync } from "node:fs";
import {
  isNoNetwork,
  isOperationInvalid,
  NetworkUpdateFlag,
  NetworkXMLFlag,
  type Connection,
} from "../../../../native/libvirt/index";
import type { Network } from "../../../contract/network";
import { AppError } from "../../../domain/errors";
import type { NetworkRealizer, NicHostEntry } from "../../../domain/network-realizer";
import type { VmContext } from "./context";
import { removeNetworkHost, restoreHosts, setNetworkHost } from "./network-hosts";
import { ensureVlanBridge, removeVlanBridge, undoVlanBridge, vlanBridgeOf } from "./vlan-bridge";
import {
  buildLibvirtNetworkXml,
  dhcpRangeXml,
  libvirtNetworkName,
  summarize,
  summaryDiff,
  uuidOf,
} from "./network-xml";

const BOTH = NetworkUpdateFlag.LIVE | NetworkUpdateFlag.CONFIG;

export class LibvirtNetworkRealizer implements NetworkRealizer {
  constructor(private readonly ctx: VmContext) {}

  async ensure(n: Network): Promise<void> {
    this.refuse(n);
    const c = await this.ctx.conn();
    const name = libvirtNetworkName(n);
    // A VLAN network's bridge and 802.1Q link come first (libvirt plugs guests into that bridge);
    // made again here when missing, e.g. after a host reboot. Undone below if libvirt fails.
    let made: string[] = [];
    try {
      if (n.type === "vlan") made = await ensureVlanBridge(vlanBridgeOf(n));
      const existing = (await c.listNetworks()).find((x) => x.name === name);
      if (!existing) {
        await this.define(c, n, undefined);
        try {
          await c.networkSetAutostart(name, true);
          await c.networkCreate(name);
        } catch (e) {
          // A fresh definition that cannot start is not left behind (the service's rollback
          // only calls remove on realizers that succeeded).
          await c.networkUndefine(name).catch(() => undefined);
          throw e;
        }
        this.ctx.log.info({ network: n.name, libvirt: name, bridge: n.bridge }, "set up the libvirt network");
        return;
      }
      // Adopted after a crash or a restart: bring it to the row's description, then start it.
      await this.reconcile(c, n, existing.active);
    } catch (e) {
      await undoVlanBridge(made);
      throw this.ctx.fail(e, `set up the network '${n.name}'`);
    }
  }

  async update(n: Network): Promise<void> {
    this.refuse(n);
    const c = await this.ctx.conn();
    const name = libvirtNetworkName(n);
    try {
      const existing = (await c.listNetworks()).find((x) => x.name === name);
      if (!existing) return await this.ensure(n);
      if (n.type === "vlan") await ensureVlanBridge(vlanBridgeOf(n));
      await this.reconcile(c, n, existing.active);
    } catch (e) {
      throw this.ctx.fail(e, `change the network '${n.name}'`);
    }
  }

  async remove(n: Network): Promise<void> {
    const c = await this.ctx.conn();
    const name = libvirtNetworkName(n);
    try {
      const existing = (await c.listNetworks()).find((x) => x.name === name);
      if (existing) {
        if (existing.active) await c.networkDestroy(name).catch(ignoreGone);
        await c.networkUndefine(name).catch(ignoreGone);
        this.ctx.log.info({ network: n.name, libvirt: name }, "removed the libvirt network");
      }
      // Only the links that carry this network's mark (vlan-bridge.ts); the parent stays.
      if (n.type === "vlan") await removeVlanBridge(vlanBridgeOf(n));
    } catch (e) {
      throw this.ctx.fail(e, `remove the network '${n.name}'`);
    }
  }

  /** A NIC's DHCP reservation and DNS names in the network's dnsmasq (network-hosts.ts). */
  async setHost(n: Network, e: NicHostEntry): Promise<void> {
    const c = await this.ctx.conn();
    try {
      await setNetworkHost(c, libvirtNetworkName(n), e);
    } catch (err) {
      throw this.ctx.fail(err, `add ${e.address} (${e.mac}) to the network '${n.name}'`);
    }
  }

  async removeHost(n: Network, e: NicHostEntry): Promise<void> {
    const c = await this.ctx.conn();
    try {
      await removeNetworkHost(c, libvirtNetworkName(n), e);
    } catch (err) {
      if (isNoNetwork(err)) return;
      throw this.ctx.fail(err, `remove ${e.address} (${e.mac}) from the network '${n.name}'`);
    }
  }

  /**
   * VLAN: libvirt tags VLANs only on Open vSwitch bridges, so Tandem makes the VLAN's bridge and
   * 802.1Q link itself (vlan-bridge.ts), which it can only beside a local libvirtd. Bridged:
   * libvirt needs the uplink to be a host bridge already (it makes none).
   */
  private refuse(n: Network): void {
    if (n.type === "vlan" && !this.local()) {
      throw new AppError(
        "VALIDATION",
        "type: vlan networks need libvirtd on this host: Tandem makes the VLAN's bridge and 802.1Q link beside it",
        { field: "type" },
      );
    }
    if (n.type === "bridged" && this.local()) {
      const up = n.uplink ?? "";
      if (!up || !existsSync(`/sys/class/net/${up}/bridge`)) {
        throw new AppError(
          "VALIDATION",
          `uplink: '${up}' is not a Linux bridge on this host; a bridged network joins an existing host bridge`,
          { field: "uplink" },
        );
      }
    }
  }

  /** /sys describes the libvirt host only when libvirtd runs here. */
  private local(): boolean {
    return /^qemu(\+unix)?:\/\/\/(system|session)/.test(this.ctx.uri);
  }

  /** Defines (or redefines, keeping the uuid) and checks libvirt stored what was asked. */
  private async define(c: Connection, n: Network, uuid: string | undefined): Promise<void> {
    const name = libvirtNetworkName(n);
    const xml = buildLibvirtNetworkXml(n, uuid);
    await c.networkDefineXML(xml);
    const stored = await c.networkGetXMLDesc(name, NetworkXMLFlag.INACTIVE);
    const diff = summaryDiff(summarize(xml), summarize(stored));
    if (diff.length) {
      if (!uuid) await c.networkUndefine(name).catch(() => undefined);
      throw new AppError(
        "INTERNAL",
        `libvirt stored the network '${n.name}' differently from what Tandem asked (${diff.join(", ")})`,
        { want: xml, stored },
      );
    }
  }

  /** Brings an existing libvirt network to `n`'s description and makes sure it runs. */
  private async reconcile(c: Connection, n: Network, active: boolean): Promise<void> {
    const name = libvirtNetworkName(n);
    const config = await c.networkGetXMLDesc(name, NetworkXMLFlag.INACTIVE);
    const want = summarize(buildLibvirtNetworkXml(n));
    const diff = summaryDiff(want, summarize(config));
    // A running network also has to match live (a config-only change waits for a restart).
    const liveDiff = active ? summaryDiff(want, summarize(await c.networkGetXMLDesc(name))) : diff;
    await c.networkSetAutostart(name, true);
    if (!diff.length && !liveDiff.length) {
      if (!active) await c.networkCreate(name);
      return;
    }
    const have = summarize(active ? await c.networkGetXMLDesc(name) : config);
    if (active && liveDiff.every((k) => k === "dhcp") && diff.every((k) => k === "dhcp") && this.oneRange(want, have)) {
      // virNetworkUpdate changes the range live and in the config; libvirt restarts dnsmasq.
      const [next] = want.dhcp;
      const [prev] = have.dhcp;
      await c.networkUpdate(name, "add_last", "ip_dhcp_range", dhcpRangeXml(next!), BOTH);
      await c.networkUpdate(name, "delete", "ip_dhcp_range", dhcpRangeXml(prev!), BOTH);
      return;
    }
    await this.define(c, n, uuidOf(config));
    // A redefinition is built from the row, which does not list the NICs' entries: carry them over.
    await restoreHosts(c, name, config);
    if (!active) return void (await c.networkCreate(name));
    if (n.usedBy.length) {
      // Restarting would unplug the guests' NICs from the bridge; libvirt does not replug them.
      this.ctx.log.warn(
        { network: n.name, libvirt: name, changed: liveDiff, usedBy: n.usedBy.map((u) => u.id) },
        "network change stored; it applies when the network next starts (guests are on it)",
      );
      return;
    }
    await c.networkDestroy(name);
    await c.networkCreate(name);
  }

  /** An IPv4 network with one DHCP range before and after: a live range swap will do. */
  private oneRange(want: { dhcp: unknown[] }, have: { dhcp: unknown[] }): boolean {
    return want.dhcp.length === 1 && have.dhcp.length === 1;
  }
}

/** Already stopped or already gone is what remove wants. */
function ignoreGone(e: unknown): void {
  if (isNoNetwork(e) || isOperationInvalid(e)) return;
  throw e;
}
