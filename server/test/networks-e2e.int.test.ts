// Issue 12's proof for networks, through the real server's REST API and consoles, real libvirtd
// (networks, demo VM) and real conmon + crun (busybox containers), against a world the test
// stands up itself (netns-rig.ts): an upstream namespace on 198.18.0.0/15 with an HTTP server and
// a DNS server answering upstream.tandem.test.
// - NAT: a NAT network whose uplink is the upstream's host interface and whose DNS forwarder is
//   the upstream's dnsmasq; a container (exec: wget) and a demo VM (serial console: wget) on it
//   fetch http://upstream.tandem.test/ by name, and the upstream sees the uplink's address
//   (masqueraded), never a guest's;
// - names: the container and the VM resolve each other by name through the network's dnsmasq;
// - bridged: containers on a bridged network are veths on the uplink bridge with their fixed
//   addresses (the LAN decides; without one they are refused, naming nics[0].address);
// - VLAN: on a parent the test makes (a veth: this kernel may lack the dummy driver), two
//   containers on one VLAN reach each other and a demo VM's tap is on the same bridge; one on
//   another VLAN gets no ARP answer; the parent's far end (in a netns of the test's) answers on
//   VLAN 10 only. A kernel without 802.1Q (this CI VM's) answers the create with 400 naming
//   `type` and leaves nothing behind.
// The default NAT network is kept from being made by one held, unrealized row (as in
// vm-nics.int.test.ts). ip_forward is put back (ip-forward.ts). Everything made — guests,
// networks (libvirt and host links), namespaces, links, nft tables (the test's own firewall
// table, passed to the server as its host firewall), cgroups, data dir — is removed
// in afterAll, also after a failure.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest, GuestKind } from "../contract/guest";
import type { Network } from "../contract/network";
import { haveBackend } from "../drivers/vm/libvirt/test/support";
import { removeVlanBridge, vlanBridgeOf, type LinkInfo } from "../drivers/vm/libvirt/vlan-bridge";
import { connectSocket, until, type TestSocket } from "./harness";
import { Shell } from "./console-shell";
import { hostIfaceName } from "../services/guest-nics";
import { networkServer, BUSYBOX as busybox } from "./network-server";
import { startUpstream, UPSTREAM_NAME, type Upstream } from "./netns-rig";

const suffix = Math.random().toString(36).slice(2, 7);
const hex = Math.random().toString(16).slice(2, 8);
const TAG = `e2e${suffix}`;
const octet = 100 + (process.pid % 100);
/** The VLANs' parent (host end) and its peer, and the bridged network's uplink bridge. */
const PARENT = `tdt-vl${hex}`;
const PARENT_PEER = `tdt-vk${hex}`;
const LAN_BRIDGE = `tdt-br${hex}`;
/** A netns holding the parent's far end: the switch port the VLANs leave through. */
const FAR = `tdt-vf${hex}`;

/**
 * The fetch by name, inside a guest. Bounded by busybox `timeout`, not wget's own -T: Debian's
 * static busybox 1.35 (the demo images') crashes with a segmentation fault on -T.
 */
const FETCH = `timeout 20 wget -q -O - http://${UPSTREAM_NAME}/`;

const ipLink = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
const quietly = (fn: () => unknown) => {
  try {
    fn();
  } catch {
    // already gone
  }
};

/** Whether this kernel makes 802.1Q links (tried on the test's own parent, removed at once). */
function kernelTags(): boolean {
  try {
    ipLink("link", "add", "link", PARENT, "name", `tdt-vq${hex}`, "type", "vlan", "id", "2");
    ipLink("link", "del", "dev", `tdt-vq${hex}`);
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!haveBackend())("networks end to end: NAT, names, bridged and VLAN, both kinds", () => {
  let upstream: Upstream | undefined;
  let socket: TestSocket | undefined;
  /** The networks made, for their VLAN bridges (the set-up removes the networks themselves). */
  const networks: Network[] = [];
  const fx = networkServer({
    tag: TAG,
    vmPrefix: `10.241.${octet}`,
    containerSubnet: `10.240.${octet}.0/24`,
    firewall: true,
    prepare: async () => {
      upstream = await startUpstream();
    },
    cleanup: async () => {
      // After the libvirt networks: the VLAN networks' links (only those carrying the network's
      // mark), then the test's own namespaces and links and the upstream.
      for (const n of networks) {
        if (n.type === "vlan") await removeVlanBridge(vlanBridgeOf(n)).catch(() => undefined);
      }
      quietly(() => ipLink("netns", "del", FAR));
      for (const link of [PARENT, LAN_BRIDGE, `tdt-vq${hex}`]) quietly(() => ipLink("link", "del", "dev", link));
      await upstream?.stop();
    },
  });

  beforeAll(async () => {
    socket = await connectSocket(fx.server.url, { cookie: fx.admin.cookie });
  });

  afterAll(() => {
    socket?.close();
  });

  const guest = async (id: string) => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
  const inNs = (id: string, args: string[]) =>
    execFileSync("ip", ["netns", "exec", fx.netnsOf(id), ...args], { encoding: "utf8" });
  const inNsStatus = (id: string, args: string[]) => {
    try {
      inNs(id, args);
      return 0;
    } catch (e) {
      return (e as { status?: number }).status ?? 1;
    }
  };
  /** The host end of a guest's first NIC: a container's veth or a VM's tap (Nic.iface). */
  const hostEnd = (id: string, kind: GuestKind = "container") => hostIfaceName(kind, id.split(".")[2]!, 0);
  const masterOf = (link: string) =>
    path.basename(execFileSync("readlink", [`/sys/class/net/${link}/master`], { encoding: "utf8" }).trim());

  async function makeNetwork(body: Record<string, unknown>): Promise<Network> {
    const res = await fx.admin.json<{ network: Network }>("POST", "/api/v1/networks", body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    fx.networks.push(res.body.network.id);
    networks.push(res.body.network);
    return res.body.network;
  }

  async function makeGuest(body: Record<string, unknown>, timeoutMs = 60_000): Promise<string> {
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.guest.id;
    fx.guests.push(id);
    await until(
      async () => {
        const got = await fx.admin.json<{ guest?: Guest }>("GET", `/api/v1/guests/${id}`);
        if (got.status === 404) {
          // A failed create removes the guest: say why (its task's error) instead of timing out.
          const tasks = await fx.admin.json<{ tasks: { error: string | null }[] }>(
            "GET",
            `/api/v1/tasks?targetId=${encodeURIComponent(id)}`,
          );
          throw new Error(`${String(body.name)} was not created: ${tasks.body.tasks.map((t) => t.error).join("; ")}`);
        }
        return got.body.guest?.state === "running";
      },
      timeoutMs,
      200,
    );
    return id;
  }

  const container = (name: string, nics: unknown[]) => ({
    kind: "container",
    name,
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    command: ["sleep", "3600"],
    nics,
  });

  // Shared by the NAT and names steps: one NAT network with a container and a VM on it.
  let nat: Network | undefined;
  let ctId = "";
  let vmId = "";
  let vmShell: Shell | undefined;
  const ctName = `e2e-ct-${suffix}`;
  const vmName = `e2e-vm-${suffix}`;

  it("NAT: a container fetches http://upstream.tandem.test/ by name, masqueraded out of the uplink", async () => {
    nat = await makeNetwork({
      name: `e2e-nat-${suffix}`,
      type: "nat",
      ipv4: {
        subnet: `10.237.${octet}.0/24`,
        gateway: `10.237.${octet}.1`,
        dhcp: { start: `10.237.${octet}.128`, end: `10.237.${octet}.254` },
      },
      uplink: upstream!.hostIf,
      dnsForwarders: [upstream!.dnsServer],
      dnsNames: true,
    });
    ctId = await makeGuest(container(ctName, [{ network: nat.name }]));
    const ctAddr = (await guest(ctId)).ipAddresses[0];
    expect(ctAddr).toMatch(new RegExp(`^10\\.237\\.${octet}\\.`));
    const shell = await Shell.open(socket!, ctId, "exec");
    const before = upstream!.requests().length;
    const got = await shell.run(FETCH);
    expect(got.out, "the upstream's page, fetched by name").toContain(upstream!.body.trim());
    expect(got.rc).toBe(0);
    const seen = upstream!.requests().slice(before);
    expect(seen.length).toBeGreaterThan(0);
    // Masqueraded: the upstream sees the uplink's own address, never the container's.
    expect(seen.map((r) => r.from)).toEqual(seen.map(() => upstream!.hostAddress));
  });

  it("NAT: the demo VM fetches http://upstream.tandem.test/ by name over its serial console", async () => {
    expect(nat, "the NAT network of the step above").toBeDefined();
    vmId = await makeGuest(
      { kind: "vm", name: vmName, image: "demo-vm", vcpus: 1, memoryMiB: 256, nics: [{ network: nat!.name }] },
      120_000,
    );
    vmShell = await Shell.open(socket!, vmId, "serial");
    await vmShell.waitFor(/Tandem demo VM ready|[#$] $/m, 120_000);
    // udhcpc keeps asking in the background until the network's dnsmasq answers.
    await until(
      async () => (await vmShell!.run("ip -o -4 addr show dev eth0")).out.includes(`inet 10.237.${octet}.`),
      60_000,
      1000,
    );
    const before = upstream!.requests().length;
    const got = await vmShell.run(FETCH, 60_000);
    expect(got.out).toContain(upstream!.body.trim());
    expect(got.rc).toBe(0);
    const seen = upstream!.requests().slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((r) => r.from)).toEqual(seen.map(() => upstream!.hostAddress));
  });

  it("names: the container and the VM on one network resolve each other by name", async () => {
    expect(ctId && vmId, "the container and VM of the steps above").toBeTruthy();
    const ctAddr = (await guest(ctId)).ipAddresses[0]!;
    const vmAddr = await until(
      async () => (await guest(vmId)).ipAddresses.find((a) => a.startsWith("10.237.")),
      30_000,
      500,
    );
    const ct = await Shell.open(socket!, ctId, "exec");
    for (const name of [vmName, `${vmName}.tandem.internal`]) {
      const r = await ct.run(`nslookup ${name}`);
      expect(r.out, `the container resolves ${name}`).toContain(vmAddr);
    }
    // The VM resolves the container and reaches it (it is root in its own kernel: ping works).
    const r = await vmShell!.run(`nslookup ${ctName}`);
    expect(r.out, `the VM resolves ${ctName}`).toContain(ctAddr);
    expect((await vmShell!.run(`ping -c 1 -W 3 ${ctName}`)).rc).toBe(0);
  });

  it("bridged: containers are veths on the uplink bridge with their fixed addresses; none given is refused", async () => {
    ipLink("link", "add", "name", LAN_BRIDGE, "type", "bridge");
    ipLink("link", "set", "dev", LAN_BRIDGE, "up");
    const lan = await makeNetwork({
      name: `e2e-lan-${suffix}`,
      type: "bridged",
      uplink: LAN_BRIDGE,
      ipv4: { subnet: `10.242.${octet}.0/24`, gateway: `10.242.${octet}.1`, dhcp: null },
      dnsNames: false,
    });
    const refused = await fx.admin.json<{ error: { message: string } }>(
      "POST",
      "/api/v1/guests",
      container(`e2e-lan0-${suffix}`, [{ network: lan.name }]),
    );
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.body.error.message).toMatch(/^nics\[0\]\.address: /);
    const ids: string[] = [];
    for (const n of [10, 11]) {
      ids.push(
        await makeGuest(container(`e2e-lan${n}-${suffix}`, [{ network: lan.name, address: `10.242.${octet}.${n}` }])),
      );
    }
    for (const [i, id] of ids.entries()) {
      expect((await guest(id)).ipAddresses).toEqual([`10.242.${octet}.${10 + i}`]);
      expect(masterOf(hostEnd(id))).toBe(LAN_BRIDGE);
    }
    expect(inNs(ids[0]!, [busybox, "ping", "-c1", "-W5", `10.242.${octet}.11`])).toMatch(/1 packets received/);
  });

  it("VLAN: two containers on one VLAN reach each other; one on another VLAN does not (or a clear 400 without 802.1Q)", async () => {
    ipLink("link", "add", PARENT, "type", "veth", "peer", "name", PARENT_PEER);
    ipLink("link", "set", "dev", PARENT, "up");
    ipLink("link", "set", "dev", PARENT_PEER, "up");
    const vlan = (id: number, third: number) => ({
      name: `e2e-vlan${id}-${suffix}`,
      type: "vlan",
      vlan: { id, parent: PARENT },
      ipv4: { subnet: `10.${third}.${octet}.0/24`, gateway: `10.${third}.${octet}.254`, dhcp: null },
      dnsNames: false,
    });
    if (!kernelTags()) {
      // Said in the log: on this kernel the isolation itself is not exercised, only the refusal.
      console.warn("no 802.1Q in this kernel (8021q): VLAN isolation not exercised, only its clear refusal");
      // This kernel cannot tag (no 8021q): the create is refused, naming the field, and leaves
      // no row, no libvirt network and no link behind.
      const res = await fx.admin.json<{ error: { message: string } }>("POST", "/api/v1/networks", vlan(10, 238));
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.message).toMatch(/^type: this host's kernel has no 802\.1Q VLAN support/);
      const list = (await fx.admin.json<{ networks: Network[] }>("GET", "/api/v1/networks")).body.networks;
      expect(list.some((n) => n.name === `e2e-vlan10-${suffix}`)).toBe(false);
      const onParent = (JSON.parse(ipLink("-d", "-j", "link", "show")) as LinkInfo[]).filter(
        (l) => l.linkinfo?.info_kind === "vlan" && l.link === PARENT,
      );
      expect(onParent).toEqual([]);
      return;
    }
    const a = await makeNetwork(vlan(10, 238));
    const b = await makeNetwork(vlan(20, 239));
    const a1 = await makeGuest(container(`e2e-va1-${suffix}`, [{ network: a.name, address: `10.238.${octet}.11` }]));
    const a2 = await makeGuest(container(`e2e-va2-${suffix}`, [{ network: a.name, address: `10.238.${octet}.12` }]));
    const b1 = await makeGuest(container(`e2e-vb1-${suffix}`, [{ network: b.name, address: `10.239.${octet}.11` }]));
    for (const [id, net] of [
      [a1, a],
      [a2, a],
      [b1, b],
    ] as const) {
      expect(masterOf(hostEnd(id))).toBe(net.bridge);
    }
    // A VM on the same VLAN is a tap on the same bridge (libvirt's bridge mode onto it).
    const vm = await makeGuest(
      {
        kind: "vm",
        name: `e2e-vvm-${suffix}`,
        image: "demo-vm",
        vcpus: 1,
        memoryMiB: 256,
        nics: [{ network: a.name }],
      },
      120_000,
    );
    expect(masterOf(hostEnd(vm, "vm"))).toBe(a.bridge);
    // Same VLAN: ARP answered and ping through the VLAN's bridge.
    expect(inNsStatus(a1, [busybox, "arping", "-c", "2", "-w", "3", "-I", "eth0", `10.238.${octet}.12`])).toBe(0);
    expect(inNs(a1, [busybox, "ping", "-c1", "-W5", `10.238.${octet}.12`])).toMatch(/1 packets received/);
    // Another VLAN: not one ARP answer from a1's address, asked on b1's own segment.
    expect(inNsStatus(b1, [busybox, "arping", "-c", "2", "-w", "3", "-I", "eth0", `10.238.${octet}.11`])).not.toBe(0);
    // The parent's far end stands for the switch port: its VLAN 10 answers a1, so frames leave
    // tagged 10; b1's ARP leaves tagged 20 and finds nobody.
    ipLink("netns", "add", FAR);
    ipLink("link", "set", "dev", PARENT_PEER, "netns", FAR);
    ipLink("-n", FAR, "link", "set", "dev", PARENT_PEER, "up");
    ipLink("-n", FAR, "link", "add", "link", PARENT_PEER, "name", "far10", "type", "vlan", "id", "10");
    ipLink("-n", FAR, "addr", "add", `10.238.${octet}.100/24`, "dev", "far10");
    ipLink("-n", FAR, "link", "set", "dev", "far10", "up");
    expect(inNs(a1, [busybox, "ping", "-c1", "-W5", `10.238.${octet}.100`])).toMatch(/1 packets received/);
    expect(inNsStatus(b1, [busybox, "arping", "-c", "2", "-w", "3", "-I", "eth0", `10.238.${octet}.100`])).not.toBe(0);
    // Tagged on the parent: each network's 802.1Q link sits on PARENT with its own id.
    const links = JSON.parse(ipLink("-d", "-j", "link", "show")) as LinkInfo[];
    const tagged = links.filter((l) => l.linkinfo?.info_kind === "vlan" && l.link === PARENT);
    expect(tagged.map((l) => [l.master, l.linkinfo?.info_data?.id]).sort()).toEqual(
      [
        [a.bridge, 10],
        [b.bridge, 20],
      ].sort(),
    );
  });
});
