// The networks API through a real server and SQLite: create, list, get, edit, delete; every
// refusal names its field; the default NAT network exists on first start; a network with a NIC
// cannot be deleted or readdressed; and realizers: a failing one rolls the row back. No realizer
// touches the host here (none is registered yet), so the subnets are only rows.
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Network } from "../contract/network";
import { overlaps, parseCidr } from "../services/network-addresses";
import { DEFAULT_CANDIDATES, type NetworkRealizer } from "../services/network-service";
import { backend } from "./backends";
import { Client, startTestServer, until, type TestServer } from "./harness";

let server: TestServer;
let admin: Client;
let operator: Client;

beforeAll(async () => {
  server = await startTestServer();
  admin = new Client(server.url);
  await admin.login();
  await server.services.auth.createUser("net-op", "net-operator-password", "operator");
  operator = new Client(server.url);
  await operator.login("net-op", "net-operator-password");
});
afterAll(() => server?.stop());

let seq = 0;
/** A NAT network on its own /24 of 10.252.0.0/16 (used by no other test). */
const nat = (over: Record<string, unknown> = {}) => {
  const n = ++seq;
  return {
    name: `net-${n}`,
    type: "nat",
    ipv4: {
      subnet: `10.252.${n}.0/24`,
      gateway: `10.252.${n}.1`,
      dhcp: { start: `10.252.${n}.100`, end: `10.252.${n}.200` },
    },
    ...over,
  };
};

async function create(c: Client, body: unknown): Promise<Network> {
  const res = await c.json<{ network: Network }>("POST", "/api/v1/networks", body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.network;
}

async function refused(c: Client, method: string, path: string, body: unknown, status: number, message: RegExp) {
  const res = await c.json<{ error: { code: string; message: string } }>(method, path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.message).toMatch(message);
  return res.body.error;
}

/** A guest (fake driver) with a NIC row on the network, as a driver will write it. */
async function guestOn(networkId: string, name: string): Promise<string> {
  const res = await admin.json<{ guest: { id: string }; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    name,
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
  });
  expect(res.status).toBe(202);
  await server.services.tasks.waitFor(res.body.taskId, 10_000);
  const mac = `52:54:00:${[1, 2, 3]
    .map(() =>
      Math.floor(Math.random() * 256)
        .toString(16)
        .padStart(2, "0"),
    )
    .join(":")}`;
  await server.db.nic.create({ data: { id: `nic-${name}`, guestId: res.body.guest.id, networkId, mac, index: 0 } });
  return res.body.guest.id;
}

/**
 * The default subnet this host should get: the first candidate that overlaps no address on a host
 * interface (10.88.0.0/16 unless something here, e.g. another Tandem's default network, holds it).
 */
function expectedDefaultSubnet(): string {
  const held = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === "IPv4" && !a.internal)
    .map((a) => parseCidr(a!.cidr!))
    .filter((c) => c !== null);
  const free = DEFAULT_CANDIDATES.find((cand) => !held.some((h) => overlaps(parseCidr(cand)!, h!)));
  if (!free) throw new Error("every default-network candidate overlaps a host address here");
  return free;
}

describe("default network", () => {
  it("exists on first start: NAT on the first free candidate /16, DHCP in the upper half, names resolved", async () => {
    const subnet = expectedDefaultSubnet(); // "10.88.0.0/16" on a host without another Tandem
    const ab = subnet.split(".").slice(0, 2).join(".");
    const res = await admin.json<{ networks: Network[] }>("GET", "/api/v1/networks");
    expect(res.status).toBe(200);
    const def = res.body.networks.find((n) => n.name === "default");
    expect(def).toMatchObject({
      type: "nat",
      ipv4: { subnet, gateway: `${ab}.0.1`, dhcp: { start: `${ab}.128.1`, end: `${ab}.255.254` } },
      ipv6: null,
      uplink: null,
      vlan: null,
      dnsNames: true,
      usedBy: [],
    });
    expect(def!.bridge).toMatch(/^tdn[0-9a-f]{8}$/);
  });

  it("is not made again on a restart that finds a network (even without 'default')", async () => {
    const again = await startTestServer({ dataDir: server.dataDir });
    try {
      const names = (await again.services.networks.list()).map((n) => n.name);
      expect(names.filter((n) => n === "default")).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});

describe("create, read, edit, delete", () => {
  it("are in the OpenAPI document with their bodies", async () => {
    const doc = await admin.json<{ paths: Record<string, Record<string, { requestBody?: unknown }>> }>(
      "GET",
      "/api/v1/openapi.json",
    );
    expect(Object.keys(doc.body.paths["/api/v1/networks"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.body.paths["/api/v1/networks/{id}"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
    expect(doc.body.paths["/api/v1/networks"]!.post!.requestBody).toBeDefined();
  });

  it("round-trips a network", async () => {
    const made = await create(operator, nat({ ipv6: { subnet: "fd00:252::/64", gateway: "fd00:252::1" } }));
    expect(made).toMatchObject({ type: "nat", dnsNames: true, dnsForwarders: [], usedBy: [] });
    expect((await admin.json("GET", `/api/v1/networks/${made.id}`)).body).toEqual({ network: made });
    const list = await admin.json<{ networks: Network[] }>("GET", "/api/v1/networks");
    expect(list.body.networks.map((n) => n.id)).toContain(made.id);

    const patched = await operator.json<{ network: Network }>("PATCH", `/api/v1/networks/${made.id}`, {
      ipv4: {
        ...made.ipv4!,
        dhcp: { start: made.ipv4!.gateway.replace(/\.1$/, ".10"), end: made.ipv4!.gateway.replace(/\.1$/, ".20") },
      },
      dnsForwarders: ["192.0.2.53"],
      dnsNames: false,
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.network).toMatchObject({ dnsNames: false, dnsForwarders: ["192.0.2.53"] });
    expect(patched.body.network.ipv4!.dhcp!.end).toMatch(/\.20$/);
    expect((await admin.json<{ network: Network }>("GET", `/api/v1/networks/${made.id}`)).body.network).toEqual(
      patched.body.network,
    );

    expect((await operator.raw("DELETE", `/api/v1/networks/${made.id}`)).status).toBe(204);
    await refused(admin, "GET", `/api/v1/networks/${made.id}`, undefined, 404, /was not found/);
  });

  it("makes isolated networks without addresses and defaults dnsNames off for bridged ones", async () => {
    const iso = await create(operator, { name: "iso-l2", type: "isolated", ipv4: null });
    expect(iso).toMatchObject({ ipv4: null, ipv6: null, dnsNames: true });
    const uplink = Object.keys(networkInterfaces()).find((n) => n !== "lo")!;
    const br = await create(admin, { name: "lan", type: "bridged", uplink });
    expect(br).toMatchObject({ type: "bridged", uplink, dnsNames: false, ipv4: null });
  });
});

describe("refusals name the field", () => {
  it.each<[string, Record<string, unknown>, number, RegExp]>([
    [
      "bad CIDR",
      { ipv4: { subnet: "10.252.300.0/24", gateway: "10.252.0.1", dhcp: null } },
      400,
      /^invalid body: ipv4\.subnet/,
    ],
    [
      "prefix out of range",
      { ipv4: { subnet: "10.252.0.0/31", gateway: "10.252.0.1", dhcp: null } },
      400,
      /^ipv4\.subnet: the prefix must be \/8 to \/30/,
    ],
    [
      "gateway outside",
      { ipv4: { subnet: "10.252.90.0/24", gateway: "10.252.91.1", dhcp: null } },
      400,
      /^ipv4\.gateway: 10\.252\.91\.1 is outside/,
    ],
    [
      "DHCP outside",
      {
        ipv4: { subnet: "10.252.90.0/24", gateway: "10.252.90.1", dhcp: { start: "10.252.90.5", end: "10.252.91.5" } },
      },
      400,
      /^ipv4\.dhcp\.end: 10\.252\.91\.5 is outside/,
    ],
    [
      "DHCP reversed",
      {
        ipv4: { subnet: "10.252.90.0/24", gateway: "10.252.90.1", dhcp: { start: "10.252.90.50", end: "10.252.90.5" } },
      },
      400,
      /^ipv4\.dhcp: the range is reversed/,
    ],
    [
      "DHCP holds the gateway",
      {
        ipv4: { subnet: "10.252.90.0/24", gateway: "10.252.90.7", dhcp: { start: "10.252.90.5", end: "10.252.90.50" } },
      },
      400,
      /^ipv4\.dhcp: the range contains the gateway/,
    ],
    [
      "overlaps the default network",
      { ipv4: { subnet: "10.88.7.0/24", gateway: "10.88.7.1", dhcp: null } },
      409,
      /^ipv4\.subnet: 10\.88\.7\.0\/24 overlaps network 'default'/,
    ],
    [
      "overlaps the container subnet",
      { ipv4: { subnet: "10.89.0.0/25", gateway: "10.89.0.1", dhcp: null } },
      409,
      /^ipv4\.subnet: .*overlaps the container subnet \(TANDEM_CONTAINER_SUBNET\) 10\.89\.0\.0\/24/,
    ],
    ["unknown uplink", { uplink: "tdnnosuch0" }, 400, /^uplink: no host interface is named tdnnosuch0/],
    [
      "VLAN id out of range",
      { type: "vlan", ipv4: null, vlan: { id: 4095, parent: "lo" } },
      400,
      /^invalid body: vlan\.id: VLAN ids are 1–4094/,
    ],
    ["bridged without uplink", { type: "bridged", ipv4: null }, 400, /^uplink: a bridged network needs/],
    ["unknown type", { type: "overlay" }, 400, /^invalid body: type/],
    ["unknown field", { mtu: 9000 }, 400, /^invalid body: .*mtu/],
  ])("%s", async (_what, over, status, message) => {
    await refused(admin, "POST", "/api/v1/networks", nat(over), status, message);
  });

  it("a duplicate name", async () => {
    await refused(
      admin,
      "POST",
      "/api/v1/networks",
      nat({ name: "default" }),
      409,
      /^name: a network named 'default' exists/,
    );
  });

  const hostV4 = Object.entries(networkInterfaces())
    .flatMap(([iface, l]) => (l ?? []).map((a) => ({ iface, ...a })))
    .find((a) => a.family === "IPv4" && !a.internal && !a.iface.startsWith("tdn") && !a.iface.startsWith("tandem"));
  it.skipIf(!backend("a host interface with an IPv4 address", !!hostV4))("a subnet on a host interface", async () => {
    const [a, b, c] = hostV4!.address.split(".");
    const body = nat({ ipv4: { subnet: `${a}.${b}.${c}.0/30`, gateway: `${a}.${b}.${c}.1`, dhcp: null } });
    await refused(
      admin,
      "POST",
      "/api/v1/networks",
      body,
      409,
      new RegExp(`^ipv4\\.subnet: .* on host interface ${hostV4!.iface}$`),
    );
  });

  it("bridged and vlan networks need an admin", async () => {
    const uplink = Object.keys(networkInterfaces()).find((n) => n !== "lo")!;
    await refused(
      operator,
      "POST",
      "/api/v1/networks",
      { name: "br-op", type: "bridged", uplink },
      403,
      /needs the admin role/,
    );
    await refused(
      operator,
      "POST",
      "/api/v1/networks",
      { name: "vl-op", type: "vlan", vlan: { id: 12, parent: uplink } },
      403,
      /needs the admin role/,
    );
    const viewer = await server.services.auth.createUser("net-viewer", "net-viewer-password", "viewer");
    const v = new Client(server.url);
    await v.login(viewer.username, "net-viewer-password");
    await refused(v, "POST", "/api/v1/networks", nat(), 403, /needs the operator role/);
    expect((await server.services.networks.list()).some((n) => ["br-op", "vl-op"].includes(n.name))).toBe(false);
  });
});

describe("in use", () => {
  it("refuses delete and readdressing while a NIC is on the network, naming the guest; DHCP may change", async () => {
    const net = await create(admin, nat());
    const guestId = await guestOn(net.id, "nic-holder");
    const got = await admin.json<{ network: Network }>("GET", `/api/v1/networks/${net.id}`);
    expect(got.body.network.usedBy).toEqual([{ id: guestId, name: "nic-holder" }]);

    const err = await refused(
      admin,
      "DELETE",
      `/api/v1/networks/${net.id}`,
      undefined,
      409,
      /is in use by 'nic-holder'/,
    );
    expect(err.code).toBe("CONFLICT");
    await refused(
      admin,
      "PATCH",
      `/api/v1/networks/${net.id}`,
      { ipv4: { subnet: "10.252.199.0/24", gateway: "10.252.199.1", dhcp: null } },
      409,
      /^ipv4: the addressing of .* cannot change while guests use it: 'nic-holder'/,
    );
    const dhcp = { start: net.ipv4!.gateway.replace(/\.1$/, ".30"), end: net.ipv4!.gateway.replace(/\.1$/, ".40") };
    const ok = await admin.json<{ network: Network }>("PATCH", `/api/v1/networks/${net.id}`, {
      ipv4: { ...net.ipv4!, dhcp },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.network.ipv4!.dhcp).toEqual(dhcp);

    await server.db.nic.deleteMany({ where: { guestId } });
    expect((await admin.raw("DELETE", `/api/v1/networks/${net.id}`)).status).toBe(204);
  });

  it("changes the subnet of an unused network and refuses the type", async () => {
    const net = await create(admin, nat());
    const res = await admin.json<{ network: Network }>("PATCH", `/api/v1/networks/${net.id}`, {
      ipv4: { subnet: "10.252.201.0/24", gateway: "10.252.201.1", dhcp: null },
    });
    expect(res.status).toBe(200);
    expect(res.body.network.ipv4).toEqual({ subnet: "10.252.201.0/24", gateway: "10.252.201.1", dhcp: null });
    await refused(admin, "PATCH", `/api/v1/networks/${net.id}`, { type: "isolated" }, 400, /^invalid body: .*type/);
    // Its own old subnet is no clash with itself.
    await refused(
      admin,
      "PATCH",
      `/api/v1/networks/${net.id}`,
      { ipv4: { subnet: "10.88.0.0/24", gateway: "10.88.0.1", dhcp: null } },
      409,
      /overlaps network 'default'/,
    );
  });
});

describe("realizers", () => {
  /** Records every call; fails the calls named in `fail`. */
  function fake(fail: Set<string> = new Set()) {
    const calls: string[] = [];
    const r: NetworkRealizer = {
      ensure: async (n) =>
        void (calls.push(`ensure ${n.name}`), fail.has("ensure") && (await Promise.reject(new Error("no bridge")))),
      update: async (n) =>
        void (
          calls.push(`update ${n.name} ${n.dnsNames}`),
          fail.has("update") && (await Promise.reject(new Error("no update")))
        ),
      remove: async (n) =>
        void (calls.push(`remove ${n.name}`), fail.has("remove") && (await Promise.reject(new Error("no remove")))),
    };
    return { r, calls, fail };
  }

  it("are called on create, update and delete; a failure rolls the row back and undoes the others", async () => {
    const ok = fake();
    const bad = fake();
    const svc = server.services.networks;
    svc.addRealizer(ok.r);
    svc.addRealizer(bad.r);
    try {
      bad.fail.add("ensure");
      const body = nat();
      await expect(svc.create("admin", body as never)).rejects.toThrow("no bridge");
      expect(ok.calls).toEqual([`ensure ${body.name}`, `remove ${body.name}`]);
      expect((await svc.list()).some((n) => n.name === body.name)).toBe(false);

      bad.fail.clear();
      const net = await svc.create("admin", nat() as never);
      bad.fail.add("update");
      await expect(svc.update("admin", net.id, { dnsNames: false })).rejects.toThrow("no update");
      expect((await svc.get(net.id)).dnsNames).toBe(true);
      expect(ok.calls.slice(-2)).toEqual([`update ${net.name} false`, `update ${net.name} true`]);

      bad.fail.clear();
      bad.fail.add("remove");
      await expect(svc.remove("admin", net.id)).rejects.toThrow("no remove");
      expect((await svc.get(net.id)).name).toBe(net.name);
      expect(ok.calls.slice(-2)).toEqual([`remove ${net.name}`, `ensure ${net.name}`]);

      bad.fail.clear();
      await svc.remove("admin", net.id);
      await until(async () => !(await svc.list()).some((n) => n.id === net.id));
    } finally {
      // The registry has no removal (drivers register for the life of the process): empty them.
      ok.fail.clear();
      bad.fail.clear();
    }
  });
});
