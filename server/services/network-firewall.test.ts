// NetworkFirewall on stub rows and a firewall that holds each apply until told: the state it
// builds (a bridged network's bridge is its uplink, rules in order per guest, a forward's address
// from its NIC), and refreshes that coalesce (one runs, one waits and reads the rows when its turn
// comes, later callers share the waiting one).
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { Db } from "../db/client";
import type { ForwardFailure, HostFirewall, HostFirewallState } from "../domain/host-firewall";
import { NetworkFirewall } from "./network-firewall";

const rows = {
  networks: [
    {
      id: "n1",
      type: "nat",
      bridge: "tdn00000001",
      ipv4Subnet: "10.1.0.0/24",
      ipv4Gateway: "10.1.0.1",
      ipv6Subnet: null,
      ipv6Gateway: null,
      uplink: "eth9",
    },
    {
      id: "n2",
      type: "bridged",
      bridge: "tdn00000002",
      ipv4Subnet: null,
      ipv4Gateway: null,
      ipv6Subnet: null,
      ipv6Gateway: null,
      uplink: "br0",
    },
  ],
  nics: [{ id: "c1", guestId: "g1", networkId: "n1", mac: "52:54:00:00:00:01", address: "10.1.0.2", iface: "vn1" }],
  forwards: [{ id: "f1", protocol: "tcp", hostPort: 20001, guestPort: 80, nic: { address: "10.1.0.2" } }],
  rules: [
    { guestId: "g1", position: 1, action: "allow", protocol: "udp", portStart: 53, portEnd: 53, source: null },
    {
      guestId: "g1",
      position: 0,
      action: "deny",
      protocol: "tcp",
      portStart: 22,
      portEnd: null,
      source: "10.9.0.0/16",
    },
  ],
};

function stubDb(): Db {
  const sorted = () => [...rows.rules].sort((a, b) => a.position - b.position);
  return {
    network: { findMany: () => Promise.resolve(rows.networks) },
    nic: { findMany: () => Promise.resolve(rows.nics) },
    portForward: { findMany: () => Promise.resolve(rows.forwards) },
    firewallRule: { findMany: () => Promise.resolve(sorted()) },
  } as unknown as Db;
}

class HeldFirewall implements HostFirewall {
  applied: HostFirewallState[] = [];
  private release: (() => void)[] = [];
  apply(state: HostFirewallState): Promise<ForwardFailure[]> {
    this.applied.push(state);
    return new Promise((r) => this.release.push(() => r([])));
  }
  /** Lets the oldest held apply finish. */
  finish(): void {
    this.release.shift()?.();
  }
  probePort(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
  destroy(): Promise<void> {
    return Promise.resolve();
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe("NetworkFirewall", () => {
  it("builds the state from the rows", async () => {
    const state = await new NetworkFirewall(stubDb(), null, pino({ level: "silent" })).state();
    expect(state.networks).toEqual([
      {
        id: "n1",
        bridge: "tdn00000001",
        type: "nat",
        ipv4: { subnet: "10.1.0.0/24", gateway: "10.1.0.1" },
        ipv6: null,
        uplink: "eth9",
      },
      // A bridged network's guests are on the host bridge; it has no uplink to masquerade out of.
      { id: "n2", bridge: "br0", type: "bridged", ipv4: null, ipv6: null, uplink: null },
    ]);
    expect(state.nics[0]!.rules).toEqual([
      { action: "deny", protocol: "tcp", ports: { start: 22, end: 22 }, source: "10.9.0.0/16" },
      { action: "allow", protocol: "udp", ports: { start: 53, end: 53 }, source: null },
    ]);
    expect(state.forwards).toEqual([
      { id: "f1", protocol: "tcp", hostPort: 20001, guestPort: 80, address: "10.1.0.2" },
    ]);
  });

  it("without a firewall, a refresh applies nothing", async () => {
    expect(await new NetworkFirewall(stubDb(), null, pino({ level: "silent" })).refresh()).toEqual([]);
  });

  it("coalesces refreshes: one runs, one waits and reads the rows when its turn comes", async () => {
    const fw = new HeldFirewall();
    const nf = new NetworkFirewall(stubDb(), fw, pino({ level: "silent" }));
    const first = nf.refresh();
    await tick();
    expect(fw.applied).toHaveLength(1);
    // Three more while the first is held: they share one waiting refresh.
    const waiting = [nf.refresh(), nf.refresh(), nf.refresh()];
    expect(waiting[1]).toBe(waiting[0]);
    expect(waiting[2]).toBe(waiting[0]);
    // A row changes before the waiting one starts: it is read then, not when it was asked for.
    rows.forwards.push({ id: "f2", protocol: "udp", hostPort: 20002, guestPort: 53, nic: { address: "10.1.0.2" } });
    fw.finish();
    await first;
    await tick();
    expect(fw.applied).toHaveLength(2);
    expect(fw.applied[1]!.forwards.map((f) => f.id)).toEqual(["f1", "f2"]);
    // Once the second runs, a new call waits behind it again.
    const third = nf.refresh();
    expect(third).not.toBe(waiting[0]);
    fw.finish();
    await waiting[0];
    await tick();
    fw.finish();
    await third;
    expect(fw.applied).toHaveLength(3);
    rows.forwards.pop();
  });
});
