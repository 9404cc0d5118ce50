// Containers' NICs on a Tandem network through the whole server, real libvirtd (the network's
// bridge and dnsmasq) and real conmon + crun: two busybox containers made with `nics` on an
// isolated network each have eth0 with an address from the lower half of its subnet, a default
// route via its gateway and resolv.conf naming it; one reaches the other over the bridge; the
// network is held while they exist, and deleting them removes their veths. As in
// vm-nics.int.test.ts the default NAT network is kept from being made by a held row. Everything
// made is removed in afterAll, also after a failure.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Guest } from "../contract/guest";
import type { Network } from "../contract/network";
import { haveBackend } from "../drivers/vm/libvirt/test/support";
import { until } from "./harness";
import { networkServer, BUSYBOX as busybox } from "./network-server";

const suffix = Math.random().toString(36).slice(2, 7);
const octet = 100 + (process.pid % 100);

describe.skipIf(!haveBackend())("container NICs on a Tandem network, real libvirtd + conmon + crun", () => {
  const fx = networkServer({
    tag: `cn${suffix}`,
    vmPrefix: `10.234.${octet}`,
    containerSubnet: `10.235.${octet}.0/24`,
  });

  const guest = async (id: string) => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
  const inNs = (id: string, args: string[]) =>
    execFileSync("ip", ["netns", "exec", fx.netnsOf(id), ...args], { encoding: "utf8" });

  it("gives two containers eth0 on the network's bridge; one reaches the other", async () => {
    const made = await fx.admin.json<{ network: Network }>("POST", "/api/v1/networks", {
      name: `cnics-${suffix}`,
      type: "isolated",
      ipv4: {
        subnet: `10.236.${octet}.0/24`,
        gateway: `10.236.${octet}.1`,
        dhcp: { start: `10.236.${octet}.200`, end: `10.236.${octet}.250` },
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const network = made.body.network;
    fx.networks.push(network.id);

    const ids: string[] = [];
    for (const n of [1, 2]) {
      const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
        kind: "container",
        name: `cnic-${n}-${suffix}`,
        image: "demo-busybox",
        vcpus: 1,
        memoryMiB: 64,
        command: ["sleep", "3600"],
        nics: [{ network: network.name }],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      fx.guests.push(res.body.guest.id);
      ids.push(res.body.guest.id);
      await until(async () => (await guest(res.body.guest.id)).state === "running", 30_000, 200);
    }

    const addrs: string[] = [];
    for (const id of ids) {
      const g = await guest(id);
      expect(g.ipAddresses).toHaveLength(1);
      const ip = g.ipAddresses[0]!;
      // The lower half of the /24, below DHCP's range; never the gateway.
      expect(ip).toMatch(new RegExp(`^10\\.236\\.${octet}\\.(\\d+)$`));
      expect(Number(ip.split(".")[3])).toBeGreaterThan(1);
      expect(Number(ip.split(".")[3])).toBeLessThan(128);
      addrs.push(ip);
      const links = JSON.parse(inNs(id, ["ip", "-j", "-4", "addr", "show", "dev", "eth0"])) as {
        addr_info: { local: string; prefixlen: number }[];
      }[];
      expect(links[0]!.addr_info).toEqual([expect.objectContaining({ local: ip, prefixlen: 24 })]);
      const routes = JSON.parse(inNs(id, ["ip", "-j", "-4", "route", "show", "default"])) as {
        gateway: string;
        dev: string;
      }[];
      expect(routes).toEqual([expect.objectContaining({ gateway: `10.236.${octet}.1`, dev: "eth0" })]);
      // The host end is on the network's bridge, and the old fixed bridge has no port for it.
      const hostEnd = `vn${id.split(".")[2]!.replace(/-/g, "").slice(0, 11)}0`;
      expect(
        path.basename(execFileSync("readlink", [`/sys/class/net/${hostEnd}/master`], { encoding: "utf8" }).trim()),
      ).toBe(network.bridge);
      const resolv = readFileSync(path.join(fx.dataDir, "containers", id.split(".")[2]!, "etc", "resolv.conf"), "utf8");
      expect(resolv).toBe(`nameserver 10.236.${octet}.1\n`);
    }
    expect(new Set(addrs).size).toBe(2);
    // Over the network's bridge, from the first container's netns to the second's address.
    expect(inNs(ids[0]!, [busybox, "ping", "-c1", "-W5", addrs[1]!])).toMatch(/1 packets received|1 received/);
    expect(
      (await fx.admin.json<{ network: Network }>("GET", `/api/v1/networks/${network.id}`)).body.network.usedBy,
    ).toHaveLength(2);

    for (const id of ids) {
      expect((await fx.admin.raw("DELETE", `/api/v1/guests/${id}?purge=true`)).status).toBeLessThan(300);
      await until(async () => (await fx.admin.raw("GET", `/api/v1/guests/${id}`)).status === 404, 30_000, 200);
      const hostEnd = `vn${id.split(".")[2]!.replace(/-/g, "").slice(0, 11)}0`;
      expect(existsSync(`/sys/class/net/${hostEnd}`)).toBe(false);
    }
    expect((await fx.admin.raw("DELETE", `/api/v1/networks/${network.id}`)).status).toBeLessThan(300);
  });
});
