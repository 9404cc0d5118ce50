// Guests' NICs on a Tandem network through the whole server, real libvirtd (the network's
// dnsmasq) and real conmon + crun: a demo VM gets the Tandem-chosen address by DHCP (its serial
// console prints it, and the network's lease says so), a container gets its fixed address, the
// container resolves the VM by name (and name.tandem.internal) through the gateway's dnsmasq,
// NICs hot-added to the running VM and container appear inside them and go again, and bad
// bodies answer 4xx naming the field. The default NAT network is kept from being made by a held
// row (as in vm-nics.int.test.ts). Everything made is removed in afterAll, also after a failure.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import type { GuestNicInfo } from "../contract/guest-nics";
import type { Network } from "../contract/network";
import { libvirtNetworkName } from "../drivers/vm/libvirt/network-xml";
import { demoShell, haveBackend, URI } from "../drivers/vm/libvirt/test/support";
import { until } from "./harness";
import { networkServer, BUSYBOX as busybox } from "./network-server";

const suffix = Math.random().toString(36).slice(2, 7);
const octet = 100 + (process.pid % 100);
const net24 = `10.237.${octet}`;

describe.skipIf(!haveBackend())("guest NICs: addresses, names, hotplug (real libvirtd + conmon + crun)", () => {
  const fx = networkServer({
    tag: `gn${suffix}`,
    vmPrefix: `10.238.${octet}`,
    containerSubnet: `10.239.${octet}.0/24`,
  });

  const guest = async (id: string) => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
  const nicsOf = async (id: string) =>
    (await fx.admin.json<{ nics: GuestNicInfo[] }>("GET", `/api/v1/guests/${id}/nics`)).body.nics;
  const inNs = (id: string, args: string[]) =>
    execFileSync("ip", ["netns", "exec", fx.netnsOf(id), ...args], {
      encoding: "utf8",
      stdio: "pipe",
    });
  // An A query only: the isolated network's dnsmasq has no upstream and refuses the AAAA query
  // busybox would also send (a non-zero exit although the A answer came).
  const lookup = (id: string, name: string) => inNs(id, [busybox, "nslookup", "-type=a", name, `${net24}.1`]);
  const make = async (body: Record<string, unknown>) => {
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    fx.guests.push(res.body.guest.id);
    await until(async () => (await guest(res.body.guest.id)).state === "running", 60_000, 200);
    return res.body.guest.id;
  };

  it("addresses VMs by DHCP and containers directly, names both, and hotplugs NICs", async () => {
    const made = await fx.admin.json<{ network: Network }>("POST", "/api/v1/networks", {
      name: `gnics-${suffix}`,
      type: "isolated",
      ipv4: { subnet: `${net24}.0/24`, gateway: `${net24}.1`, dhcp: { start: `${net24}.128`, end: `${net24}.254` } },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const network = made.body.network;
    fx.networks.push(network.id);

    // The VM: Tandem's lowest free address (.2), handed out by the network's DHCP.
    const vmName = `gn-vm-${suffix}`;
    const vmId = await make({
      kind: "vm",
      name: vmName,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 256,
      nics: [{ network: network.name }],
    });
    const [vmNic] = await nicsOf(vmId);
    expect(vmNic).toMatchObject({ index: 0, address: `${net24}.2`, addressFixed: false, network: { id: network.id } });
    expect(vmNic!.iface).toMatch(/^tn[0-9a-f]{11}0$/);
    const shell = await demoShell(fx.vms, vmId);
    await shell.waitFor("Tandem demo VM ready", 60_000);
    expect(shell.text()).toContain(`eth0=${net24}.2/24`);
    // The host side of its NIC carries the name Tandem chose.
    expect(existsSync(`/sys/class/net/${vmNic!.iface}`)).toBe(true);
    const leases = await fx.conn.networkGetDHCPLeases(libvirtNetworkName(network));
    expect(leases.map((l) => l.ipaddr)).toContain(`${net24}.2`);

    // The container: a fixed address, and the VM resolved by name through the gateway.
    const ctName = `gn-ct-${suffix}`;
    const ctId = await make({
      kind: "container",
      name: ctName,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      command: ["sleep", "3600"],
      nics: [{ network: network.id, address: `${net24}.50` }],
    });
    const [ctNic] = await nicsOf(ctId);
    expect(ctNic).toMatchObject({ address: `${net24}.50`, addressFixed: true });
    expect(inNs(ctId, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"])).toContain(`${net24}.50/24`);
    for (const name of [vmName, `${vmName}.tandem.internal`]) {
      expect(lookup(ctId, name)).toContain(`Address: ${net24}.2`);
    }
    expect(lookup(ctId, ctName)).toContain(`Address: ${net24}.50`);
    // And over the bridge to the VM's address.
    expect(inNs(ctId, [busybox, "ping", "-c1", "-W5", `${net24}.2`])).toMatch(/1 packets received/);

    // Taken address: 409 naming the field; in the DHCP range or on the gateway: 400.
    for (const [address, status] of [
      [`${net24}.50`, 409],
      [`${net24}.200`, 400],
      [`${net24}.1`, 400],
    ] as const) {
      const res = await fx.admin.json<{ error: { message: string } }>("POST", `/api/v1/guests/${vmId}/nics`, {
        network: network.id,
        address,
      });
      expect(res.status, address).toBe(status);
      expect(res.body.error.message).toMatch(/^address: /);
    }
    const unknown = await fx.admin.json<{ error: { message: string } }>("POST", `/api/v1/guests/${vmId}/nics`, {
      network: "no-such",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/^network: /);

    // Hotplug into the running container: eth1 appears in its netns, and goes.
    const added = await fx.admin.json<{ nic: GuestNicInfo }>("POST", `/api/v1/guests/${ctId}/nics`, {
      network: network.id,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body.nic).toMatchObject({ index: 1, address: `${net24}.3` });
    expect(inNs(ctId, ["ip", "-o", "-4", "addr", "show", "dev", "eth1"])).toContain(`${net24}.3/24`);
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${ctId}/nics/${added.body.nic.id}`)).status).toBe(204);
    expect(() => inNs(ctId, ["ip", "link", "show", "dev", "eth1"])).toThrow();
    expect(existsSync(`/sys/class/net/${added.body.nic.iface}`)).toBe(false);
    // Added while stopped: kept in the record and plugged in at the next start.
    expect((await fx.admin.raw("POST", `/api/v1/guests/${ctId}/actions`, { action: "stop" })).status).toBe(202);
    await until(async () => (await guest(ctId)).state === "stopped", 30_000, 200);
    const later = await fx.admin.json<{ nic: GuestNicInfo }>("POST", `/api/v1/guests/${ctId}/nics`, {
      network: network.id,
    });
    expect(later.status, JSON.stringify(later.body)).toBe(201);
    const start = await fx.admin.json<{ taskId: string }>("POST", `/api/v1/guests/${ctId}/actions`, {
      action: "start",
    });
    expect(start.status).toBe(202);
    // The start is done when its task is (the list may show the process running a moment earlier).
    await until(
      async () => {
        const t = (
          await fx.admin.json<{ task: { state: string; error: string | null } }>(
            "GET",
            `/api/v1/tasks/${start.body.taskId}`,
          )
        ).body.task;
        if (t.state === "failed") throw new Error(`start failed: ${t.error}`);
        return t.state === "succeeded";
      },
      30_000,
      200,
    );
    expect(inNs(ctId, ["ip", "-o", "-4", "addr", "show", "dev", "eth1"])).toContain(`${later.body.nic.address}/24`);
    expect(inNs(ctId, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"])).toContain(`${net24}.50/24`);

    // Hotplug into the running VM: a second virtio NIC appears in /sys/class/net, and goes.
    const vmAdded = await fx.admin.json<{ nic: GuestNicInfo }>("POST", `/api/v1/guests/${vmId}/nics`, {
      network: network.name,
    });
    expect(vmAdded.status, JSON.stringify(vmAdded.body)).toBe(201);
    expect(vmAdded.body.nic.index).toBe(1);
    // The guest's kernel sees the device a moment after QEMU has it: the guest waits (≤ 10 s) itself.
    // The end mark is computed by the guest's shell, so the echo of the typed line never matches it.
    const wait = (cond: string, n: number) =>
      `i=0; while ${cond} && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done; echo net-$((${n}+0)); ls /sys/class/net; echo end-$((${n}+0))`;
    const plugged = await shell.run(wait("[ ! -e /sys/class/net/eth1 ]", 1), /end-1\r?\n/, 30_000);
    expect(plugged.split("net-1")[1]).toContain("eth1");
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${vmId}/nics/${vmAdded.body.nic.id}`)).status).toBe(204);
    const after = (await shell.run(wait("[ -e /sys/class/net/eth1 ]", 2), /end-2\r?\n/, 30_000)).split("net-2")[1];
    expect(after).toMatch(/eth0/);
    expect(after).not.toContain("eth1");
    shell.con.close();

    // Deleting the container drops its DNS name (once the task has forgotten its rows).
    const netXml = () => fx.conn.networkGetXMLDesc(libvirtNetworkName(network));
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${ctId}?purge=true`)).status).toBe(202);
    await until(async () => !(await netXml()).includes(ctName), 30_000, 200);
    expect(await netXml()).toContain(vmName);

    // Renaming the (stopped) VM renames its DNS entry; deleting it drops its DHCP reservation too.
    expect((await fx.admin.raw("POST", `/api/v1/guests/${vmId}/actions`, { action: "stop" })).status).toBe(202);
    await until(async () => (await guest(vmId)).state === "stopped", 60_000, 200);
    const renamed = `gn-vm2-${suffix}`;
    const patch = await fx.admin.json<{ guest: Guest }>("PATCH", `/api/v1/guests/${vmId}`, { name: renamed });
    expect(patch.status, JSON.stringify(patch.body)).toBe(200);
    expect(await netXml()).toContain(`<hostname>${renamed}.tandem.internal</hostname>`);
    expect(await netXml()).not.toContain(`<hostname>${vmName}</hostname>`);
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${vmId}?purge=true`)).status).toBe(202);
    // The reservation and the name go one networkUpdate after the other: wait for both.
    const gone = (x: string) => !x.includes(vmNic!.mac) && !x.includes(renamed);
    await until(async () => gone(await netXml()), 60_000, 200);
  });

  it("gives a clone of a VM with a NIC new rows: MAC, tap and address of its own", async () => {
    const network = (
      await fx.admin.json<{ network: Network }>("POST", "/api/v1/networks", {
        name: `gnclone-${suffix}`,
        type: "isolated",
        ipv4: { subnet: `10.240.${octet}.0/24`, gateway: `10.240.${octet}.1`, dhcp: null },
      })
    ).body.network;
    fx.networks.push(network.id);
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: `gn-src-${suffix}`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 128,
      start: false,
      nics: [{ network: network.id, address: `10.240.${octet}.9` }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const srcId = res.body.guest.id;
    fx.guests.push(srcId);
    await until(async () => (await guest(srcId)).state === "stopped", 60_000, 200);
    const cloned = await fx.admin.json<{ guest: Guest }>("POST", `/api/v1/guests/${srcId}/clone`, {
      name: `gn-copy-${suffix}`,
    });
    expect(cloned.status, JSON.stringify(cloned.body)).toBe(202);
    const copyId = cloned.body.guest.id;
    fx.guests.push(copyId);
    await until(async () => (await guest(copyId)).state === "stopped", 60_000, 200);

    const [src] = await nicsOf(srcId);
    const [copy] = await nicsOf(copyId);
    expect(src).toMatchObject({ address: `10.240.${octet}.9`, addressFixed: true });
    // The fixed address is the source's: the clone gets Tandem's lowest free one.
    expect(copy).toMatchObject({ index: 0, address: `10.240.${octet}.2`, addressFixed: false });
    expect(copy!.mac).not.toBe(src!.mac);
    expect(copy!.iface).toBe(`tn${copyId.split(".")[2]!.replace(/-/g, "").slice(0, 11)}0`);
    const xml = execFileSync("virsh", ["-c", URI, "dumpxml", "--inactive", copyId.split(".")[2]!], {
      encoding: "utf8",
    });
    expect(xml).toContain(`<mac address='${copy!.mac}'/>`);
    expect(xml).toContain(`<target dev='${copy!.iface}'/>`);
    const netXml = await fx.conn.networkGetXMLDesc(libvirtNetworkName(network));
    expect(netXml).toContain(`<host mac='${copy!.mac}' ip='10.240.${octet}.2'/>`);
    expect(netXml).toContain(`<host mac='${src!.mac}' ip='10.240.${octet}.9'/>`);
  });
});
