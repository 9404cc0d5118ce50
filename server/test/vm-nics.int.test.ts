// A VM's NICs on Tandem networks through the whole server and the real libvirtd: a demo VM made
// with `nics` on an isolated Tandem network runs with an <interface> on tandem-net-<id> (its
// MAC from Tandem), the network names the VM in usedBy and refuses deletion while it exists, and
// deleting the VM frees it. Bad `nics` bodies answer 400 naming the field.
// The default NAT network is kept from being made (it would take 10.88/16 and turn ip_forward
// on): the data directory starts with one unrealized network row, so ensureDefault finds a
// network. Every libvirt network and guest made is removed in afterAll, also after a failure.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import type { Network } from "../contract/network";
import { libvirtNetworkName } from "../drivers/vm/libvirt/network-xml";
import { haveBackend, URI } from "../drivers/vm/libvirt/test/support";
import { until } from "./harness";
import { networkServer } from "./network-server";

const suffix = Math.random().toString(36).slice(2, 7);
const octet = 100 + (process.pid % 100);

describe.skipIf(!haveBackend())("VM NICs on Tandem networks, on the real libvirtd", () => {
  const fx = networkServer({ tag: `vmn${suffix}`, vmPrefix: `10.232.${octet}` });

  const vm = (o: Record<string, unknown>) => ({
    kind: "vm",
    name: `nic-vm-${suffix}`,
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 256,
    ...o,
  });
  const net = async (id: string) =>
    (await fx.admin.json<{ network: Network }>("GET", `/api/v1/networks/${id}`)).body.network;

  it("creates a VM with a NIC on a Tandem network; the network is held until the VM goes", async () => {
    const made = await fx.admin.json<{ network: Network }>("POST", "/api/v1/networks", {
      name: `nics-${suffix}`,
      type: "isolated",
      ipv4: {
        subnet: `10.233.${octet}.0/24`,
        gateway: `10.233.${octet}.1`,
        dhcp: { start: `10.233.${octet}.100`, end: `10.233.${octet}.200` },
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const network = made.body.network;
    fx.networks.push(network.id);

    // By name here (the id works too, see the refusals below).
    const res = await fx.admin.json<{ guest: Guest }>(
      "POST",
      "/api/v1/guests",
      vm({ nics: [{ network: network.name }] }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.guest.id;
    fx.guests.push(id);
    await until(
      async () => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest.state === "running",
      60_000,
      200,
    );

    const xml = execFileSync("virsh", ["-c", URI, "dumpxml", id.split(".")[2]!], { encoding: "utf8" });
    const ifaces = [...xml.matchAll(/<interface type='network'>[\s\S]*?<\/interface>/g)].map((m) => m[0]);
    expect(ifaces).toHaveLength(1);
    expect(ifaces[0]).toContain(`<source network='${libvirtNetworkName(network)}'`);
    expect(ifaces[0]).toMatch(/<mac address='52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}'\/>/);
    expect(ifaces[0]).toContain("<model type='virtio'/>");

    expect((await net(network.id)).usedBy).toEqual([{ id, name: `nic-vm-${suffix}` }]);
    const refused = await fx.admin.json<{ error: { message: string } }>("DELETE", `/api/v1/networks/${network.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain(`nic-vm-${suffix}`);

    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`)).status).toBe(202);
    await until(async () => (await fx.admin.raw("GET", `/api/v1/guests/${id}`)).status === 404, 60_000, 200);
    expect((await net(network.id)).usedBy).toEqual([]);
    expect((await fx.admin.raw("DELETE", `/api/v1/networks/${network.id}`)).status).toBe(204);
    expect((await fx.conn.listNetworks()).map((n) => n.name)).not.toContain(libvirtNetworkName(network));
  });

  it("refuses bad nics, naming the field, and makes nothing", async () => {
    const held = (await fx.admin.json<{ networks: Network[] }>("GET", "/api/v1/networks")).body.networks[0]!;
    const cases: [unknown, RegExp][] = [
      [vm({ nics: [{ network: "no-such-network" }] }), /nics\[0\]\.network/],
      [vm({ nics: [{ network: held.id }, { network: "nope" }] }), /nics\[1\]\.network/],
      [vm({ nics: [{ network: held.id }], network: "user" }), /nics/],
      [vm({ nics: [{ network: held.id, address: "10.1.2.3" }] }), /nics\[0\]\.address/],
      [vm({ nics: [{ network: held.id, address: "not-an-address" }] }), /nics/],
      [vm({ nics: Array.from({ length: 9 }, () => ({ network: held.id })) }), /nics/],
      [vm({ nics: [] }), /nics/],
      // A VM's ports are forwards to its first NIC: none without nics (containers with nics
      // may give ports since the forwards of issue 12; network-firewall.int.test.ts).
      [{ ...vm({}), ports: [{ hostPort: 18080, guestPort: 80 }] }, /ports: .*give nics/],
    ];
    for (const [body, field] of cases) {
      const res = await fx.admin.json<{ error: { code: string; message: string } }>("POST", "/api/v1/guests", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(field);
    }
    const list = await fx.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests");
    expect(list.body.guests.filter((g) => g.name === `nic-vm-${suffix}`)).toEqual([]);
    expect(held.usedBy).toEqual([]);
  });
});
