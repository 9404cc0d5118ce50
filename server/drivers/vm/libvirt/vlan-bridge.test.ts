// vlan-bridge.ts without touching the host: names and validation, and what ensure/remove ask of
// `ip` against a small in-memory link table (what exists, whose mark it carries), including the
// refusals (a name taken by someone else, the VLAN id in use on the parent, no 8021q) and the
// undo of a half-made pair. The real links are vlan-bridge.int.test.ts's.
import { describe, expect, it } from "vitest";
import { AppError } from "../../../domain/errors";
import {
  ensureVlanBridge,
  isNoVlanSupport,
  removeVlanBridge,
  vlanBridgeOf,
  vlanLinkName,
  type IpRunner,
  type LinkInfo,
} from "./vlan-bridge";

const ID = "0b7e5c4e-1111-4222-8333-944445555666";
const network = (vlan: { id: number; parent: string } | null, bridge = "tdn0a1b2c3d") => ({
  id: ID,
  type: "vlan" as const,
  bridge,
  vlan,
});

/** A host with these links; `ip` calls are recorded and applied to the table. */
function fakeHost(links: LinkInfo[], opts: { noVlan?: boolean; failOn?: string } = {}) {
  const table = new Map(links.map((l) => [l.ifname, { ...l }]));
  const calls: string[] = [];
  const ip: IpRunner = async (args) => {
    const line = args.join(" ");
    calls.push(line);
    if (opts.failOn && line.includes(opts.failOn))
      throw new Error(`ip ${line}: RTNETLINK answers: Device or resource busy`);
    if (args[0] === "-d" && args[1] === "-j") {
      if (args.length === 4) return JSON.stringify([...table.values()]);
      const l = table.get(args[5]!);
      if (!l) throw new Error(`ip ${line}: Device "${args[5]}" does not exist.`);
      return JSON.stringify([l]);
    }
    if (args[0] === "link" && args[1] === "add") {
      const vlan = args.includes("vlan");
      if (vlan && opts.noVlan) throw new Error(`ip ${line}: Error: Unknown device type.`);
      const name = args[args.indexOf("name") + 1]!;
      table.set(name, {
        ifname: name,
        link: vlan ? args[args.lastIndexOf("link") + 1] : undefined,
        linkinfo: vlan
          ? { info_kind: "vlan", info_data: { id: Number(args[args.indexOf("id") + 1]) } }
          : { info_kind: "bridge", info_data: { stp_state: 0 } },
      });
    }
    if (args[0] === "link" && args[1] === "set" && args[4] === "alias") table.get(args[3]!)!.ifalias = args[5];
    if (args[0] === "link" && args[1] === "set" && args[4] === "master") table.get(args[3]!)!.master = args[5];
    if (args[0] === "link" && args[1] === "del") table.delete(args[3]!);
    return "";
  };
  return { ip, calls, table };
}

const eth0: LinkInfo = { ifname: "eth0", linkinfo: {} };

describe("names and validation", () => {
  it("names the 802.1Q link tdv + the bridge's digits, within 15 characters", () => {
    expect(vlanLinkName("tdn0a1b2c3d")).toBe("tdv0a1b2c3d");
    expect(() => vlanLinkName("br0")).toThrow(RangeError);
    const v = vlanBridgeOf(network({ id: 10, parent: "eth0" }));
    expect(v).toEqual({
      owner: `tandem-net-${ID}`,
      bridge: "tdn0a1b2c3d",
      link: "tdv0a1b2c3d",
      parent: "eth0",
      id: 10,
    });
  });

  it.each([
    [null, "vlan", /needs \{id, parent\}/],
    [{ id: 0, parent: "eth0" }, "vlan.id", /1–4094/],
    [{ id: 4095, parent: "eth0" }, "vlan.id", /1–4094/],
    [{ id: 5, parent: "eth0\nlink del x" }, "vlan.parent", /not an interface name/],
    [{ id: 5, parent: "a-name-longer-than-15" }, "vlan.parent", /not an interface name/],
    [{ id: 5, parent: "lo" }, "vlan.parent", /loopback/],
    [{ id: 5, parent: "tdn0a1b2c3d" }, "vlan.parent", /own link/],
    [{ id: 5, parent: "tdv0a1b2c3d" }, "vlan.parent", /own link/],
  ])("refuses %j as %s", (vlan, field, message) => {
    const err = (() => {
      try {
        vlanBridgeOf(network(vlan));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "VALIDATION", details: { field } });
    expect((err as Error).message).toMatch(new RegExp(`^${field.replace(".", "\\.")}: `));
    expect((err as Error).message).toMatch(message);
  });

  it("knows ip's words for a kernel without 802.1Q", () => {
    expect(isNoVlanSupport(new Error("ip link add …: Error: Unknown device type."))).toBe(true);
    expect(isNoVlanSupport(new Error("RTNETLINK answers: File exists"))).toBe(false);
  });
});

describe("ensureVlanBridge / removeVlanBridge", () => {
  const v = vlanBridgeOf(network({ id: 10, parent: "eth0" }));

  it("makes the bridge (STP off) and the VLAN link, marks both, puts the link in the bridge, brings both up", async () => {
    const host = fakeHost([eth0]);
    expect(await ensureVlanBridge(v, host.ip)).toEqual(["tdn0a1b2c3d", "tdv0a1b2c3d"]);
    expect(host.calls.filter((c) => !c.startsWith("-d"))).toEqual([
      "link add name tdn0a1b2c3d type bridge stp_state 0",
      `link set dev tdn0a1b2c3d alias tandem-net-${ID}`,
      "link add link eth0 name tdv0a1b2c3d type vlan id 10",
      `link set dev tdv0a1b2c3d alias tandem-net-${ID}`,
      "link set dev tdv0a1b2c3d master tdn0a1b2c3d",
      "link set dev tdv0a1b2c3d up",
      "link set dev tdn0a1b2c3d up",
    ]);
    // Again (a restart): nothing new is made, the same links are kept and brought up.
    host.calls.length = 0;
    expect(await ensureVlanBridge(v, host.ip)).toEqual([]);
    expect(host.calls.filter((c) => c.startsWith("link add"))).toEqual([]);
    // Removal takes the link first, then the bridge, and only those.
    expect(await removeVlanBridge(v, host.ip)).toEqual(["tdv0a1b2c3d", "tdn0a1b2c3d"]);
    expect([...host.table.keys()]).toEqual(["eth0"]);
  });

  it("re-makes only what is missing (the host rebooted, the bridge is gone)", async () => {
    const host = fakeHost([eth0]);
    await ensureVlanBridge(v, host.ip);
    host.table.delete("tdn0a1b2c3d");
    expect(await ensureVlanBridge(v, host.ip)).toEqual(["tdn0a1b2c3d"]);
    expect(host.table.get("tdv0a1b2c3d")?.master).toBe("tdn0a1b2c3d");
  });

  it("refuses a missing parent, a Tandem link as parent, and names held by someone else", async () => {
    await expect(ensureVlanBridge(v, fakeHost([]).ip)).rejects.toMatchObject({
      code: "VALIDATION",
      message: "vlan.parent: no host interface is named eth0",
    });
    const ours = fakeHost([{ ifname: "eth0", ifalias: "tandem-net-other" }]);
    await expect(ensureVlanBridge(v, ours.ip)).rejects.toMatchObject({
      code: "VALIDATION",
      details: { field: "vlan.parent" },
    });
    const foreignBridge = fakeHost([eth0, { ifname: "tdn0a1b2c3d", linkinfo: { info_kind: "bridge" } }]);
    await expect(ensureVlanBridge(v, foreignBridge.ip)).rejects.toMatchObject({
      code: "CONFLICT",
      details: { field: "bridge" },
    });
    // Nothing of someone else's is removed either.
    expect(await removeVlanBridge(v, foreignBridge.ip)).toEqual([]);
    expect(foreignBridge.table.has("tdn0a1b2c3d")).toBe(true);
  });

  it("refuses a VLAN id the parent already carries, and removes the bridge it made for it", async () => {
    const host = fakeHost([
      eth0,
      { ifname: "eth0.10", link: "eth0", linkinfo: { info_kind: "vlan", info_data: { id: 10 } } },
    ]);
    const err = await ensureVlanBridge(v, host.ip).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: "CONFLICT",
      message: "vlan: VLAN 10 on eth0 is the host's link eth0.10 already",
    });
    expect([...host.table.keys()]).toEqual(["eth0", "eth0.10"]);
  });

  it("a kernel without 802.1Q: 400 naming type, and the bridge made for it is gone again", async () => {
    const host = fakeHost([eth0], { noVlan: true });
    const err = await ensureVlanBridge(v, host.ip).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "VALIDATION", details: { field: "type" } });
    expect((err as Error).message).toMatch(/^type: this host's kernel has no 802\.1Q VLAN support/);
    expect([...host.table.keys()]).toEqual(["eth0"]);
  });

  it("a failure after both were made removes both", async () => {
    const host = fakeHost([eth0], { failOn: "master" });
    await expect(ensureVlanBridge(v, host.ip)).rejects.toThrow(/busy/);
    expect([...host.table.keys()]).toEqual(["eth0"]);
  });

  it("an existing link of ours with another id or parent is a conflict, not re-tagged", async () => {
    const host = fakeHost([
      eth0,
      {
        ifname: "tdv0a1b2c3d",
        ifalias: `tandem-net-${ID}`,
        link: "eth0",
        linkinfo: { info_kind: "vlan", info_data: { id: 11 } },
      },
    ]);
    const err = await ensureVlanBridge(v, host.ip).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "CONFLICT", details: { field: "vlan" } });
    // The bridge this call made is gone; the existing link stays.
    expect([...host.table.keys()]).toEqual(["eth0", "tdv0a1b2c3d"]);
  });
});
