// Port forwards and guests' firewall rules through the REST API on fake guests, with a host
// firewall that records what it is asked to apply (the real one: network-firewall.int.test.ts):
// the state built from the rows, every refusal naming its field (range, taken by a forward, taken
// on the host at the check or when applied, NIC, bodies), the network's forwards, a create
// body's ports with nics, and what goes with a deleted guest.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FirewallRule, PortForward } from "../contract/forwards";
import type { Guest } from "../contract/guest";
import type { Network } from "../contract/network";
import type { ForwardFailure, HostFirewall, HostFirewallState } from "../domain/host-firewall";
import { PortForwards } from "../services/port-forwards";
import { Client, startTestServer, until, type TestServer } from "./harness";

class RecordingFirewall implements HostFirewall {
  states: HostFirewallState[] = [];
  /** Ports the probe finds taken on the host. */
  taken = new Set<number>();
  /** Ports taken between the probe and the apply (a race the service must undo). */
  takenAtApply = new Set<number>();
  apply(state: HostFirewallState): Promise<ForwardFailure[]> {
    this.states.push(state);
    return Promise.resolve(
      state.forwards
        .filter((f) => this.takenAtApply.has(f.hostPort))
        .map((forward) => ({ forward, code: "EADDRINUSE", message: "in use" })),
    );
  }
  probePort(p: { hostPort: number }): Promise<void> {
    if (!this.taken.has(p.hostPort)) return Promise.resolve();
    return Promise.reject(Object.assign(new Error("address in use"), { code: "EADDRINUSE" }));
  }
  close(): void {}
  destroy(): Promise<void> {
    return Promise.resolve();
  }
  get last(): HostFirewallState {
    return this.states.at(-1)!;
  }
}

const fw = new RecordingFirewall();
let server: TestServer;
let admin: Client;
let network: Network;
let guestId = "";

type Created = { guest: Guest; error: { message: string } };

async function container(
  name: string,
  extra: Record<string, unknown> = {},
): Promise<{ status: number; body: Created }> {
  const res = await admin.json<Created>("POST", "/api/v1/guests", {
    kind: "container",
    name,
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    ...extra,
  });
  if (res.status === 202) {
    await until(
      async () =>
        (await admin.json<{ guest: Guest }>("GET", `/api/v1/guests/${res.body.guest.id}`)).body.guest?.state ===
        "running",
    );
  }
  return res;
}

const post = (id: string, body: unknown) =>
  admin.json<{ forward: PortForward; error: { message: string } }>("POST", `/api/v1/guests/${id}/forwards`, body);

beforeAll(async () => {
  server = await startTestServer({ hostFirewall: fw, env: { TANDEM_PUBLISH_PORT_RANGE: "20000-20100" } });
  admin = new Client(server.url);
  await admin.login();
  const made = await admin.json<{ network: Network }>("POST", "/api/v1/networks", {
    name: "fw-api",
    type: "isolated",
    ipv4: { subnet: "10.248.7.0/24", gateway: "10.248.7.1", dhcp: null },
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  network = made.body.network;
  const res = await container("fw-api-ct", { nics: [{ network: network.id }] });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  guestId = res.body.guest.id;
});

afterAll(async () => {
  await server?.stop();
});

describe("port forwards and firewall rules over REST", () => {
  it("applies a state built from the rows: the network, the NIC with its address", async () => {
    await server.services.netFirewall.refresh();
    expect(fw.last.networks).toContainEqual({
      id: network.id,
      bridge: network.bridge,
      type: "isolated",
      ipv4: { subnet: "10.248.7.0/24", gateway: "10.248.7.1" },
      ipv6: null,
      uplink: null,
    });
    const nic = fw.last.nics.find((n) => n.guestId === guestId);
    expect(nic).toMatchObject({ networkId: network.id, rules: [] });
    expect(nic!.address).toMatch(/^10\.248\.7\.\d+$/);
  });

  it("creates a forward to the first NIC and refuses clashes, naming the field", async () => {
    const made = await post(guestId, { hostPort: 20001, guestPort: 80 });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const nic = fw.last.nics.find((n) => n.guestId === guestId)!;
    expect(made.body.forward).toMatchObject({
      hostPort: 20001,
      guestPort: 80,
      protocol: "tcp",
      guestAddress: nic.address,
    });
    expect(fw.last.forwards).toContainEqual({
      id: made.body.forward.id,
      protocol: "tcp",
      hostPort: 20001,
      guestPort: 80,
      address: nic.address,
    });

    const cases: [unknown, number, RegExp][] = [
      [{ hostPort: 20001, guestPort: 81 }, 409, /^hostPort: tcp\/20001 is already forwarded to 'fw-api-ct'/],
      [{ hostPort: 19999, guestPort: 80 }, 400, /^hostPort: .*TANDEM_PUBLISH_PORT_RANGE 20000-20100/],
      [{ hostPort: 20101, guestPort: 80 }, 400, /^hostPort: /],
      [{ hostPort: 20002, guestPort: 80, nic: 3 }, 400, /^nic: the guest has no NIC '3'/],
      [{ hostPort: 20002, guestPort: 80, nic: "no-such-nic" }, 400, /^nic: /],
      [{ hostPort: "x", guestPort: 80 }, 400, /hostPort/],
      [{ hostPort: 20002, guestPort: 0 }, 400, /guestPort/],
      [{ hostPort: 20002, guestPort: 80, protocol: "icmp" }, 400, /protocol/],
      [{ hostPort: 20002, guestPort: 80, extra: 1 }, 400, /extra|unrecognized/i],
    ];
    for (const [body, status, re] of cases) {
      const res = await post(guestId, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(re);
    }
    // udp and tcp on one port are two forwards.
    expect((await post(guestId, { hostPort: 20001, guestPort: 53, protocol: "udp" })).status).toBe(201);
  });

  it("refuses a port taken on the host, at the check or when applied (the row is undone)", async () => {
    fw.taken.add(20003);
    const atCheck = await post(guestId, { hostPort: 20003, guestPort: 80 });
    expect(atCheck.status).toBe(409);
    expect(atCheck.body.error.message).toMatch(/^hostPort: tcp\/20003 is in use on the host \(EADDRINUSE\)/);
    fw.takenAtApply.add(20004);
    const atApply = await post(guestId, { hostPort: 20004, guestPort: 80 });
    expect(atApply.status).toBe(409);
    expect(atApply.body.error.message).toMatch(/^hostPort: tcp\/20004 is in use on the host/);
    const list = await admin.json<{ forwards: PortForward[] }>("GET", `/api/v1/guests/${guestId}/forwards`);
    expect(list.body.forwards.map((f) => f.hostPort).sort()).toEqual([20001, 20001]);
    expect(fw.last.forwards.map((f) => f.hostPort)).not.toContain(20004);
  });

  it("never forwards Tandem's own port, even inside the range", async () => {
    const forwards = new PortForwards(server.db, server.services.netFirewall, {
      range: { first: 20000, last: 20100 },
      tandemPort: 20050,
      guestName: async (id) => (await server.services.guests.get(id)).name,
    });
    await expect(forwards.create(guestId, { hostPort: 20050, guestPort: 80, protocol: "tcp" })).rejects.toThrow(
      /^hostPort: 20050 is Tandem's own port/,
    );
    await expect(forwards.check([{ hostPort: 20050, guestPort: 80, protocol: "udp" }])).rejects.toThrow(
      /^ports\[0\]\.hostPort: 20050 is Tandem's own port/,
    );
  });

  it("lists a network's forwards; unknown guests and networks are 404", async () => {
    const onNet = await admin.json<{ forwards: PortForward[] }>("GET", `/api/v1/networks/${network.id}/forwards`);
    expect(onNet.status).toBe(200);
    expect(onNet.body.forwards.every((f) => f.networkId === network.id && f.guestName === "fw-api-ct")).toBe(true);
    expect(onNet.body.forwards).toHaveLength(2);
    expect((await admin.raw("GET", "/api/v1/networks/nope/forwards")).status).toBe(404);
    expect((await admin.raw("GET", "/api/v1/guests/local.container.nope/forwards")).status).toBe(404);
    expect((await admin.raw("DELETE", `/api/v1/guests/${guestId}/forwards/nope`)).status).toBe(404);
  });

  it("a guest without a NIC on a routed IPv4 network has nothing to forward to", async () => {
    const plain = await container("fw-api-plain");
    const res = await post(plain.body.guest.id, { hostPort: 20005, guestPort: 80 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^nic: the guest has no NIC on an isolated or NAT network with IPv4/);
  });

  it("replaces a guest's firewall rules, applied in order; bad rules name their field", async () => {
    const rules: FirewallRule[] = [
      { action: "deny", protocol: "tcp", ports: { start: 8080, end: 8080 } },
      { action: "allow", protocol: "any", source: "198.51.100.0/24" },
      { action: "allow", protocol: "icmp" },
    ];
    const put = await admin.json<{ rules: FirewallRule[] }>("PUT", `/api/v1/guests/${guestId}/firewall`, { rules });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.rules).toEqual(rules);
    expect(
      (await admin.json<{ rules: FirewallRule[] }>("GET", `/api/v1/guests/${guestId}/firewall`)).body.rules,
    ).toEqual(rules);
    expect(fw.last.nics.find((n) => n.guestId === guestId)!.rules).toEqual([
      { action: "deny", protocol: "tcp", ports: { start: 8080, end: 8080 }, source: null },
      { action: "allow", protocol: "any", ports: null, source: "198.51.100.0/24" },
      { action: "allow", protocol: "icmp", ports: null, source: null },
    ]);
    const bad: [unknown, RegExp][] = [
      [{ rules: [{ action: "allow", protocol: "icmp", ports: { start: 1, end: 2 } }] }, /^rules\[0\]\.ports: /],
      [{ rules: [{ action: "allow", protocol: "tcp", ports: { start: 9, end: 2 } }] }, /ports/],
      [{ rules: [{ action: "allow", protocol: "tcp", source: "300.1.2.3" }] }, /source/],
      [{ rules: [{ action: "maybe", protocol: "tcp" }] }, /action/],
      [{ rules: Array.from({ length: 65 }, () => ({ action: "allow", protocol: "any" })) }, /at most 64 rules/],
    ];
    for (const [body, re] of bad) {
      const res = await admin.json<{ error: { message: string } }>("PUT", `/api/v1/guests/${guestId}/firewall`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message, JSON.stringify(body)).toMatch(re);
    }
    // Unchanged by the refusals.
    expect(
      (await admin.json<{ rules: FirewallRule[] }>("GET", `/api/v1/guests/${guestId}/firewall`)).body.rules,
    ).toEqual(rules);
  });

  it("a create body's ports with nics become forwards (refused before anything is made when taken)", async () => {
    fw.taken.add(20020);
    const taken = await container("fw-api-taken", {
      nics: [{ network: network.id }],
      ports: [{ hostPort: 20020, guestPort: 80 }],
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toMatch(/^ports\[0\]\.hostPort: tcp\/20020 is in use on the host/);
    expect(
      (await admin.json<{ guests: Guest[] }>("GET", "/api/v1/guests")).body.guests.some(
        (g) => g.name === "fw-api-taken",
      ),
    ).toBe(false);
    const twice = await container("fw-api-twice", {
      nics: [{ network: network.id }],
      ports: [
        { hostPort: 20021, guestPort: 80 },
        { hostPort: 20021, guestPort: 81 },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toMatch(/^ports\[1\]\.hostPort: tcp\/20021 is listed twice/);

    const made = await container("fw-api-made", {
      nics: [{ network: network.id }],
      ports: [{ hostPort: 20022, guestPort: 80 }],
    });
    expect(made.status, JSON.stringify(made.body)).toBe(202);
    await until(
      async () =>
        (await admin.json<{ forwards: PortForward[] }>("GET", `/api/v1/guests/${made.body.guest.id}/forwards`)).body
          .forwards.length === 1,
    );
    const vm = await admin.json<{ error: { message: string } }>("POST", "/api/v1/guests", {
      kind: "vm",
      name: "fw-api-vm",
      image: "demo-vm",
      vcpus: 1,
      memoryMiB: 64,
      ports: [{ hostPort: 20023, guestPort: 22 }],
    });
    expect(vm.status).toBe(400);
    expect(vm.body.error.message).toMatch(/ports: .*give nics/);
  });

  it("a deleted guest's forwards and rules go with it", async () => {
    expect((await admin.raw("DELETE", `/api/v1/guests/${guestId}`)).status).toBeLessThan(300);
    await until(async () => (await admin.raw("GET", `/api/v1/guests/${guestId}`)).status === 404);
    await until(async () => (await server.db.firewallRule.count({ where: { guestId } })) === 0);
    expect(await server.db.portForward.count({ where: { guestId } })).toBe(0);
    await server.services.netFirewall.refresh();
    expect(fw.last.nics.some((n) => n.guestId === guestId)).toBe(false);
    expect(fw.last.forwards.some((f) => f.hostPort === 20001)).toBe(false);
  });
});
