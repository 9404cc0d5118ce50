// The host firewall of Tandem networks through the whole server (real libvirtd networks, real
// conmon + crun containers, real nft, the netns rig's client namespace), each attack played
// first with the test's firewall table removed (it succeeds: what a guest on a Tandem network
// could do before issue 12's firewall) and then with it in place (refused):
// - a container on an isolated network reaches a host service on the gateway address; forges a
//   connection to the host's 127.0.0.1 with route_localnet turned on (CVE-2020-8558); sends from
//   an address that is not its own. DNS to the gateway keeps working.
// - a container on a NAT network: a port forward is reached from the client netns and from the
//   host (port holder); nothing else comes in; a firewall deny blocks the forward and an allow
//   lets another port in; taken, repeated and out-of-range ports are refused naming hostPort;
//   forwards and rules go with the guest.
// Everything made (guests, networks, libvirt networks, the nft table, the client netns, sysctls)
// is removed in afterAll, also after a failure.
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PortForward } from "../contract/forwards";
import type { Guest } from "../contract/guest";
import type { Network } from "../contract/network";
import { page } from "../drivers/container/test/net-helpers";
import { haveBackend } from "../drivers/vm/libvirt/test/support";
import { Shell } from "./console-shell";
import { connectSocket, until, type TestSocket } from "./harness";
import { networkServer, BUSYBOX as busybox } from "./network-server";
import { runIn, startClient, type Client as RigClient } from "./netns-rig";

const exec = promisify(execFile);
const suffix = Math.random().toString(36).slice(2, 7);
const octet = 100 + (process.pid % 100);
const RANGE = { first: 20000, last: 45000 };

describe.skipIf(!haveBackend())("host firewall of Tandem networks: real libvirtd, conmon + crun, nft", () => {
  let client: RigClient | undefined;
  let socket: TestSocket | undefined;
  const fx = networkServer({
    tag: `fw${suffix}`,
    vmPrefix: `10.244.${octet}`,
    containerSubnet: `10.245.${octet}.0/24`,
    firewall: true,
    env: { TANDEM_PUBLISH_PORT_RANGE: `${RANGE.first}-${RANGE.last}` },
    prepare: async () => {
      client = await startClient();
    },
    cleanup: async () => {
      await client?.stop();
    },
  });
  const firewall = fx.firewall!;
  const listeners: net.Server[] = [];
  const bridges: string[] = [];

  beforeAll(async () => {
    socket = await connectSocket(fx.server.url, { cookie: fx.admin.cookie });
  });

  afterAll(() => {
    socket?.close();
    for (const s of listeners) s.close();
  });

  const guest = async (id: string) => (await fx.admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${id}`)).body.guest;
  const inNs = (id: string, argv: string[]) => runIn(fx.netnsOf(id), argv, 15_000);

  async function network(type: "isolated" | "nat", third: number, name = `fw-${type}-${suffix}`): Promise<Network> {
    const made = await fx.admin.json<{ network: Network }>("POST", "/api/v1/networks", {
      name,
      type,
      ipv4: {
        subnet: `10.${third}.${octet}.0/24`,
        gateway: `10.${third}.${octet}.1`,
        dhcp: { start: `10.${third}.${octet}.200`, end: `10.${third}.${octet}.250` },
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    fx.networks.push(made.body.network.id);
    bridges.push(made.body.network.bridge);
    return made.body.network;
  }

  async function container(name: string, nw: Network, command: string[]): Promise<Guest> {
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "container",
      name: `${name}-${suffix}`,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      command,
      nics: [{ network: nw.name }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    fx.guests.push(res.body.guest.id);
    await until(async () => (await guest(res.body.guest.id)).state === "running", 30_000, 200);
    // The firewall pins need the NIC's address and host interface in its row.
    await until(async () => {
      const nic = await fx.server.db.nic.findFirst({ where: { guestId: res.body.guest.id } });
      return !!nic?.address && !!nic.iface;
    }, 10_000);
    await fx.server.services.netFirewall.refresh();
    return guest(res.body.guest.id);
  }

  /** A TCP listener that greets each connection with a marker and counts them. */
  async function listen(host: string): Promise<{ port: number; marker: string; hits: () => number }> {
    const marker = `tandem-host-${Math.random().toString(36).slice(2, 8)}`;
    let hits = 0;
    const s = net.createServer((sock) => {
      hits++;
      sock.on("error", () => undefined);
      sock.end(`${marker}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(0, host, () => resolve());
    });
    listeners.push(s);
    return { port: (s.address() as net.AddressInfo).port, marker, hits: () => hits };
  }

  /** Without the test's table (as before the firewall), then with it (the server's state). */
  async function withoutFirewall<T>(fn: () => Promise<T>): Promise<T> {
    await firewall.destroy();
    try {
      return await fn();
    } finally {
      await fx.server.services.netFirewall.refresh();
    }
  }

  it("a container on an isolated network reaches on the host only DNS/DHCP/ping on the gateway", async () => {
    const nw = await network("isolated", 246);
    const g = await container("fwiso", nw, ["sleep", "3600"]);
    const gw = nw.ipv4!.gateway;
    const svc = await listen("0.0.0.0");
    const ncTo = async (host: string) => (await inNs(g.id, [busybox, "nc", "-w", "3", host, String(svc.port)])).stdout;
    const nc = () => ncTo(gw);

    const before = await withoutFirewall(nc);
    expect(before, "the attack works without the firewall (else this test proves nothing)").toContain(svc.marker);
    const hitsBefore = svc.hits();
    expect(await nc()).not.toContain(svc.marker);
    expect(svc.hits()).toBe(hitsBefore);
    // Nor on another address of the host (the client rig's end of its veth): input from the bridge.
    expect(await withoutFirewall(() => ncTo(client!.hostAddress)), "reachable without the firewall").toContain(
      svc.marker,
    );
    expect(await ncTo(client!.hostAddress)).not.toContain(svc.marker);

    // DNS on the gateway answers (NXDOMAIN is an answer); a timeout would mean it was dropped.
    const dns = await inNs(g.id, [busybox, "nslookup", `nothing-${suffix}.tandem.internal`, gw]);
    expect(`${dns.stdout}${dns.stderr}`).not.toMatch(/timed out|can't connect|no servers/i);
    expect(`${dns.stdout}${dns.stderr}`).toMatch(/NXDOMAIN|can't find|Address/i);
    // Ping to the gateway is allowed.
    expect((await inNs(g.id, [busybox, "ping", "-c1", "-W3", gw])).stdout).toMatch(/1 packets received/);
  });

  it("a container cannot forge a connection to the host's 127.0.0.1 even with route_localnet on", async () => {
    const nw = (await fx.admin.json<{ networks: Network[] }>("GET", "/api/v1/networks")).body.networks.find(
      (n) => n.name === `fw-isolated-${suffix}`,
    )!;
    const g = (await fx.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests")).body.guests.find(
      (x) => x.name === `fwiso-${suffix}`,
    )!;
    const bin = path.join(fx.dataDir, "loopback-tcp");
    execFileSync("gcc", [
      "-static",
      "-O2",
      "-o",
      bin,
      path.join(import.meta.dirname, "security/attacks/fixtures/loopback-tcp.c"),
    ]);
    const local = await listen("127.0.0.1");
    const gwMac = readFileSync(`/sys/class/net/${nw.bridge}/address`, "utf8").trim();
    const localnet = `/proc/sys/net/ipv4/conf/${nw.bridge}/route_localnet`;
    const poke = async () => {
      // An ordinary packet first, so the host knows the container's MAC for its answer.
      await inNs(g.id, [busybox, "ping", "-c1", "-W2", nw.ipv4!.gateway]);
      return exec(
        "nsenter",
        [`--net=/run/netns/${fx.netnsOf(g.id)}`, bin, "eth0", gwMac, "127.0.0.1", String(local.port), "hi"],
        {
          timeout: 20_000,
        },
      ).then(
        (r) => r.stdout,
        (e: { stdout?: string }) => e.stdout ?? "",
      );
    };
    try {
      const before = await withoutFirewall(async () => {
        writeFileSync(localnet, "1");
        return poke();
      });
      expect(before, "with route_localnet on and no guard the forged connection works").toContain(local.marker);
      // The firewall's apply turned route_localnet off again; turn it on to test the nft guard alone.
      expect(readFileSync(localnet, "utf8").trim()).toBe("0");
      writeFileSync(localnet, "1");
      const after = await poke();
      expect(after).not.toContain(local.marker);
      expect(after).toContain("synack=none");
    } finally {
      writeFileSync(localnet, "0");
    }
  });

  it("a container's frames from an address that is not its own are dropped", async () => {
    const nw = (await fx.admin.json<{ networks: Network[] }>("GET", "/api/v1/networks")).body.networks.find(
      (n) => n.name === `fw-isolated-${suffix}`,
    )!;
    const g = (await fx.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests")).body.guests.find(
      (x) => x.name === `fwiso-${suffix}`,
    )!;
    const spoofed = `10.246.${octet}.99`;
    await inNs(g.id, ["ip", "addr", "add", `${spoofed}/24`, "dev", "eth0"]);
    const ping = async () =>
      (await inNs(g.id, [busybox, "ping", "-c1", "-W3", "-I", spoofed, nw.ipv4!.gateway])).stdout;
    try {
      expect(await withoutFirewall(ping), "without the pins the spoofed source gets an answer").toMatch(
        /1 packets received/,
      );
      expect(await ping()).toMatch(/0 packets received/);
      // Its own address still works.
      expect((await inNs(g.id, [busybox, "ping", "-c1", "-W3", nw.ipv4!.gateway])).stdout).toMatch(
        /1 packets received/,
      );
    } finally {
      await inNs(g.id, ["ip", "addr", "del", `${spoofed}/24`, "dev", "eth0"]);
    }
  });

  it("forwards reach a container on a NAT network; its firewall decides what else comes in", async () => {
    const nw = await network("nat", 247);
    const web = [
      "sh",
      "-c",
      "mkdir -p /www && echo fwd-page > /www/index.html && httpd -p 8081 -h /www && exec httpd -f -p 8080 -h /www",
    ];
    const g = await container("fwnat", nw, web);
    // The same holds on a NAT network: no host service on the gateway.
    const svc = await listen("0.0.0.0");
    const toGateway = await inNs(g.id, [busybox, "nc", "-w", "3", nw.ipv4!.gateway, String(svc.port)]);
    expect(toGateway.stdout).not.toContain(svc.marker);
    expect(svc.hits()).toBe(0);
    const addr = g.ipAddresses[0]!;
    const hostPort = RANGE.first + 1000 + (process.pid % 1000);
    // busybox nc, not wget (this host's busybox wget crashes): the page's body, "" when refused.
    const get = async (host: string, port: number) => {
      const r = await client!.run(
        ["sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ${busybox} nc -w 4 ${host} ${port}`],
        15_000,
      );
      return r.stdout.split("\r\n\r\n")[1]?.trim() ?? "";
    };
    // The client reaches the container's subnet through the host (its own netns, its own route).
    await client!.run(["ip", "route", "add", nw.ipv4!.subnet, "via", client!.hostAddress]);

    // Refused: outside the range, taken on the host, bad NIC, a rule's ports on icmp.
    const outside = await fx.admin.json<{ error: { message: string } }>("POST", `/api/v1/guests/${g.id}/forwards`, {
      hostPort: 80,
      guestPort: 8080,
    });
    expect(outside.status).toBe(400);
    expect(outside.body.error.message).toMatch(/^hostPort: .*TANDEM_PUBLISH_PORT_RANGE/);
    const busy = await listen("0.0.0.0");
    const busyPort = busy.port >= RANGE.first && busy.port <= RANGE.last ? busy.port : null;
    if (busyPort !== null) {
      const taken = await fx.admin.json<{ error: { message: string } }>("POST", `/api/v1/guests/${g.id}/forwards`, {
        hostPort: busyPort,
        guestPort: 8080,
      });
      expect(taken.status).toBe(409);
      expect(taken.body.error.message).toMatch(/^hostPort: .*in use on the host/);
    }
    const badNic = await fx.admin.json("POST", `/api/v1/guests/${g.id}/forwards`, {
      hostPort,
      guestPort: 8080,
      nic: 5,
    });
    expect(badNic.status).toBe(400);
    const badRule = await fx.admin.json<{ error: { message: string } }>("PUT", `/api/v1/guests/${g.id}/firewall`, {
      rules: [{ action: "allow", protocol: "icmp", ports: { start: 1, end: 2 } }],
    });
    expect(badRule.status).toBe(400);
    expect(badRule.body.error.message).toMatch(/rules\[0\]\.ports/);

    const made = await fx.admin.json<{ forward: PortForward }>("POST", `/api/v1/guests/${g.id}/forwards`, {
      hostPort,
      guestPort: 8080,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.forward).toMatchObject({ hostPort, guestPort: 8080, protocol: "tcp", guestAddress: addr });
    const again = await fx.admin.json<{ error: { message: string } }>("POST", `/api/v1/guests/${g.id}/forwards`, {
      hostPort,
      guestPort: 8081,
    });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/^hostPort: .*already forwarded/);
    expect(
      (await fx.admin.json<{ forwards: PortForward[] }>("GET", `/api/v1/networks/${nw.id}/forwards`)).body.forwards.map(
        (f) => f.id,
      ),
    ).toEqual([made.body.forward.id]);

    // From the client netns (DNAT) and from the host itself (the port holder).
    expect(await get(client!.hostAddress, hostPort)).toBe("fwd-page");
    expect(await page(hostPort)).toBe("fwd-page");
    // Straight to the container's other port: nothing comes in but forwards...
    expect(await withoutFirewall(() => get(addr, 8081)), "reachable without the firewall").toBe("fwd-page");
    expect(await get(addr, 8081)).toBe("");
    // ...unless its firewall allows it; a deny on the forward's guest port closes the forward.
    const put = await fx.admin.json<{ rules: unknown[] }>("PUT", `/api/v1/guests/${g.id}/firewall`, {
      rules: [
        { action: "deny", protocol: "tcp", ports: { start: 8080, end: 8080 } },
        { action: "allow", protocol: "tcp", ports: { start: 8081, end: 8081 }, source: `${client!.clientAddress}/32` },
      ],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.rules).toHaveLength(2);
    expect(await get(addr, 8081)).toBe("fwd-page");
    expect(await get(client!.hostAddress, hostPort)).toBe("");

    // Removing the forward releases the host port.
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${g.id}/forwards/${made.body.forward.id}`)).status).toBe(204);
    const probe = net.createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(hostPort, "0.0.0.0", () => resolve());
    });
    await new Promise((r) => probe.close(r));
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${g.id}/forwards/${made.body.forward.id}`)).status).toBe(404);

    // Forwards and rules go with the guest.
    const second = await fx.admin.json("POST", `/api/v1/guests/${g.id}/forwards`, { hostPort, guestPort: 8080 });
    expect(second.status).toBe(201);
    expect((await fx.admin.raw("DELETE", `/api/v1/guests/${g.id}?purge=true`)).status).toBeLessThan(300);
    await until(async () => (await fx.admin.raw("GET", `/api/v1/guests/${g.id}`)).status === 404, 30_000, 200);
    await until(async () => (await fx.server.db.firewallRule.count({ where: { guestId: g.id } })) === 0, 10_000);
    expect(await fx.server.db.portForward.count({ where: { guestId: g.id } })).toBe(0);
  });

  it("a create body's ports with nics become forwards to the first NIC", async () => {
    const nw = (await fx.admin.json<{ networks: Network[] }>("GET", "/api/v1/networks")).body.networks.find(
      (n) => n.name === `fw-nat-${suffix}`,
    )!;
    const hostPort = RANGE.first + 2000 + (process.pid % 1000);
    const web = ["sh", "-c", "mkdir -p /www && echo made-page > /www/index.html && exec httpd -f -p 8080 -h /www"];
    const busy = await listen("0.0.0.0");
    if (busy.port >= RANGE.first && busy.port <= RANGE.last) {
      // A taken port is refused before anything is made, naming the body's field.
      const taken = await fx.admin.json<{ error: { message: string } }>("POST", "/api/v1/guests", {
        kind: "container",
        name: `fwtaken-${suffix}`,
        image: "demo-busybox",
        vcpus: 1,
        memoryMiB: 64,
        command: web,
        nics: [{ network: nw.name }],
        ports: [{ hostPort: busy.port, guestPort: 8080 }],
      });
      expect(taken.status).toBe(409);
      expect(taken.body.error.message).toMatch(/^ports\[0\]\.hostPort: .*in use on the host/);
    }
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "container",
      name: `fwmade-${suffix}`,
      image: "demo-busybox",
      vcpus: 1,
      memoryMiB: 64,
      command: web,
      nics: [{ network: nw.name }],
      ports: [{ hostPort, guestPort: 8080 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    fx.guests.push(res.body.guest.id);
    await until(async () => (await guest(res.body.guest.id)).state === "running", 30_000, 200);
    const list = await fx.admin.json<{ forwards: PortForward[] }>(
      "GET",
      `/api/v1/guests/${res.body.guest.id}/forwards`,
    );
    expect(list.body.forwards).toEqual([
      expect.objectContaining({ hostPort, guestPort: 8080, protocol: "tcp", networkId: nw.id }),
    ]);
    expect(await page(hostPort)).toBe("made-page");
  });

  it("a guest on a NAT network cannot open connections to a guest on another NAT network", async () => {
    const from = (await fx.admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests")).body.guests.find(
      (x) => x.name === `fwmade-${suffix}`,
    )!;
    // Made after the first NAT network, so its way in is rendered after that one's way out. (An
    // isolated network would not do: libvirt itself rejects forwarding to and from one.)
    const other = await network("nat", 248, `fw-other-${suffix}`);
    const web = ["sh", "-c", "mkdir -p /www && echo iso-page > /www/index.html && exec httpd -f -p 8080 -h /www"];
    const target = await container("fwnat2", other, web);
    const get = async () => {
      const r = await inNs(from.id, [
        "sh",
        "-c",
        `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ${busybox} nc -w 4 ${target.ipAddresses[0]} 8080`,
      ]);
      return r.stdout.split("\r\n\r\n")[1]?.trim() ?? "";
    };
    const before = await withoutFirewall(() => until(async () => (await get()) || false, 10_000, 200));
    expect(before, "routed across without the firewall").toBe("iso-page");
    expect(await get()).toBe("");
  });

  it("a forward reaches the demo VM on a NAT network (its address by DHCP); a deny rule closes it", async () => {
    const nw = (await fx.admin.json<{ networks: Network[] }>("GET", "/api/v1/networks")).body.networks.find(
      (n) => n.name === `fw-nat-${suffix}`,
    )!;
    const res = await fx.admin.json<{ guest: Guest }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: `fwvm-${suffix}`,
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 256,
      nics: [{ network: nw.name }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const id = res.body.guest.id;
    fx.guests.push(id);
    await until(async () => (await guest(id)).state === "running", 120_000, 500);
    const nic = (await fx.server.db.nic.findFirst({ where: { guestId: id } }))!;
    expect(nic.address, "the NIC's address is chosen as its row is written").toBeTruthy();
    const shell = await Shell.open(socket!, id, "serial");
    await shell.waitFor(/Tandem demo VM ready|[#$] $/m, 120_000);
    // The VM asks DHCP (udhcpc, in the background) and gets its reserved address.
    await until(
      async () => (await shell.run("ip -o -4 addr show dev eth0")).out.includes(`inet ${nic.address}/`),
      90_000,
      1000,
    );
    const served = await shell.run(
      "mkdir -p /tmp/www && echo vm-page > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www",
    );
    expect(served.rc).toBe(0);
    const hostPort = RANGE.first + 3000 + (process.pid % 1000);
    const made = await fx.admin.json<{ forward: PortForward }>("POST", `/api/v1/guests/${id}/forwards`, {
      hostPort,
      guestPort: 8080,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect(made.body.forward.guestAddress).toBe(nic.address);
    const get = async () => {
      const r = await client!.run(
        ["sh", "-c", `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | ${busybox} nc -w 4 ${client!.hostAddress} ${hostPort}`],
        15_000,
      );
      return r.stdout.split("\r\n\r\n")[1]?.trim() ?? "";
    };
    expect(await get()).toBe("vm-page");
    expect(await page(hostPort)).toBe("vm-page");
    const put = await fx.admin.json("PUT", `/api/v1/guests/${id}/firewall`, {
      rules: [{ action: "deny", protocol: "tcp", ports: { start: 8080, end: 8080 } }],
    });
    expect(put.status).toBe(200);
    expect(await get()).toBe("");
  });
});
