// The driver's own decisions against a stand-in libvirt (no daemon): reboot publishes a change,
// a linked clone's source is a template (no start, revert or purge), an adopted domain is only
// undefined, DHCP leases become addresses with one call per network, console history reads the
// log the domain names, the first listing sweeps directories no domain owns, acceleration is
// the driver's to tell.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { ErrorCode, LibvirtError, type Connection, type DhcpLease } from "../../../../native/libvirt/index";
import { hasAccel, type DriverEvent } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import { LibvirtDriver } from "./driver";
import type { HostGuardSpec } from "./host-guard";
import { buildDomainXml, type DomainDef, type TandemMeta } from "./xml-build";

const tmp = mkdtempSync(path.join(tmpdir(), "tandem-drvunit-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface FakeDom {
  uuid: string;
  name: string;
  state: number; // 1 running, 5 shut off
  xml: string;
}

function def(
  name: string,
  uuid: string,
  o: Omit<Partial<DomainDef>, "meta"> & { meta?: TandemMeta | null } = {},
): string {
  const dir = path.join(tmp, "data", "vms", uuid);
  const xml = buildDomainXml({
    type: "qemu",
    name,
    uuid,
    memoryMiB: 128,
    vcpus: 1,
    boot: { kind: "firmware", order: ["hd"] },
    disks: [{ path: path.join(dir, "disk.qcow2"), format: "qcow2", device: "disk", bus: "virtio", target: "vda" }],
    nics: [{ kind: "network", network: "tandem-isolated" }],
    serialLog: path.join(dir, "serial.log"),
    vnc: false,
    ...o,
    meta: o.meta ?? { image: "demo", createdAt: "2026-01-01T00:00:00.000Z", diskBytes: null, network: "isolated" },
  });
  if (o.meta === null) return xml.replace(/<metadata>[\s\S]*<\/metadata>/, "");
  return xml;
}

function fakeLibvirt(doms: FakeDom[], leases: Record<string, DhcpLease[]> = {}) {
  const calls = {
    leases: 0,
    reboot: 0,
    create: 0,
    undefine: 0,
    destroy: 0,
    guard: [] as HostGuardSpec[],
    defined: [] as string[],
  };
  const handle = (d: FakeDom) => ({
    uuid: d.uuid,
    name: d.name,
    free: () => undefined,
    getState: async () => ({ state: d.state === 1 ? "running" : "shutoff", code: d.state, reason: 0 }),
    isActive: async () => d.state === 1,
    isPersistent: async () => true,
    getXMLDesc: async () => d.xml,
    reboot: async () => void calls.reboot++,
    create: async () => {
      // The host guard is in place before any guest runs.
      expect(calls.guard.length).toBeGreaterThan(0);
      calls.create++;
      d.state = 1;
    },
    destroy: async () => {
      calls.destroy++;
      d.state = 5;
    },
    undefine: async () => {
      calls.undefine++;
      doms.splice(doms.indexOf(d), 1);
    },
    revertToSnapshot: async () => undefined,
  });
  const conn = {
    isAlive: () => true,
    // No DAC base label: QEMU as root, so no directory needs opening up for it.
    getCapabilities: async () => "<capabilities><host/></capabilities>",
    getLibVersion: async () => 9_000_000,
    getVersion: async () => 7_002_000,
    close: async () => undefined,
    onDomainEvent: async () => async () => undefined,
    lookupDomainByUUID: async (u: string) => {
      const d = doms.find((x) => x.uuid === u);
      if (!d) throw new LibvirtError(ErrorCode.NO_DOMAIN, 10, `Domain not found: no domain with matching uuid '${u}'`);
      return handle(d);
    },
    listAllDomainsDetailed: async () =>
      doms.map((d) => ({
        domain: handle(d),
        name: d.name,
        uuid: d.uuid,
        id: d.state === 1 ? 7 : -1,
        state: d.state === 1 ? "running" : "shutoff",
        stateCode: d.state,
        reason: 0,
        persistent: true,
        xml: d.xml.replace(
          '<interface type="network">',
          `<interface type="network"><mac address="52:54:00:00:00:${d.name.slice(-2)}"/>`,
        ),
      })),
    defineDomain: async (xml: string) => {
      calls.defined.push(xml);
      const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xml)![1]!;
      const d = doms.find((x) => x.uuid === uuid)!;
      d.xml = xml;
      return handle(d);
    },
    networkGetDHCPLeases: async (n: string) => {
      calls.leases++;
      return leases[n] ?? [];
    },
  };
  const driver = new LibvirtDriver({
    uri: "qemu:///system",
    hostId: "local",
    dataDir: path.join(tmp, "data"),
    accel: "qemu",
    connect: async () => conn as unknown as Connection,
    hostGuard: { apply: async (spec) => void calls.guard.push(spec) },
  });
  return { driver, calls, doms };
}

const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const codeOf = (e: unknown) => (e instanceof AppError ? e.code : String(e));

describe("LibvirtDriver decisions", () => {
  it("publishes a change after a reboot (libvirt sends no lifecycle event for it)", async () => {
    const { driver, calls } = fakeLibvirt([{ uuid: U(1), name: "vm-01", state: 1, xml: def("vm-01", U(1)) }]);
    const events: DriverEvent[] = [];
    const ac = new AbortController();
    const sub = (async () => {
      for await (const e of driver.events(ac.signal)) events.push(e);
    })();
    await driver.act(`local.vm.${U(1)}`, "reboot");
    expect(calls.reboot).toBe(1);
    await vi.waitFor(() => expect(events).toContainEqual({ type: "changed", id: `local.vm.${U(1)}` }));
    ac.abort();
    await sub;
    await driver.close();
  });

  it("treats the source of a linked clone as a template: no start, revert or purge", async () => {
    const srcDisk = path.join(tmp, "data", "vms", U(2), "disk.qcow2");
    const cloneMeta: TandemMeta = {
      image: "demo",
      createdAt: "2026-01-01T00:00:00.000Z",
      diskBytes: null,
      network: "isolated",
      clonedFrom: `local.vm.${U(2)}`,
      cloneMode: "linked",
      backing: [srcDisk],
    };
    const doms: FakeDom[] = [
      { uuid: U(2), name: "src-02", state: 5, xml: def("src-02", U(2)) },
      { uuid: U(3), name: "lnk-03", state: 5, xml: def("lnk-03", U(3), { meta: cloneMeta }) },
    ];
    const { driver, calls } = fakeLibvirt(doms);
    mkdirSync(path.dirname(srcDisk), { recursive: true });
    writeFileSync(srcDisk, "");
    const src = `local.vm.${U(2)}`;
    const start = await driver.act(src, "start").catch((e: unknown) => e);
    expect(codeOf(start)).toBe("CONFLICT");
    expect((start as AppError).message).toMatch(/base of the linked clone lnk-03/);
    expect((start as AppError).details).toEqual({ reason: "linked-clones", clones: ["lnk-03"] });
    expect(await driver.linkedClones(src)).toEqual([{ id: `local.vm.${U(3)}`, name: "lnk-03" }]);
    expect(await driver.linkedClones(`local.vm.${U(3)}`)).toEqual([]);
    expect(codeOf(await driver.revertSnapshot(src, "s1").catch((e: unknown) => e))).toBe("CONFLICT");
    expect(codeOf(await driver.remove(src, { purgeDisks: true }).catch((e: unknown) => e))).toBe("CONFLICT");
    expect(calls).toMatchObject({ create: 0, undefine: 0 });
    expect(existsSync(srcDisk)).toBe(true);
    // The clone itself starts; once it is gone, the source is free again.
    await driver.act(`local.vm.${U(3)}`, "start");
    await driver.remove(`local.vm.${U(3)}`, { purgeDisks: true });
    await driver.act(src, "start");
    expect(calls.create).toBe(2);
    await driver.remove(src, { purgeDisks: true });
    expect(existsSync(path.dirname(srcDisk))).toBe(false);
    await driver.close();
  });

  it("moves a Tandem VM defined with TCP VNC to a unix socket before it starts, after the host guard", async () => {
    const tcp = def("old-05", U(5), { vnc: true }).replace(
      /<graphics[\s\S]*?<\/graphics>/,
      `<graphics type="vnc" autoport="yes" listen="127.0.0.1" websocket="-1"><listen type="address" address="127.0.0.1"/></graphics>`,
    );
    const { driver, calls, doms } = fakeLibvirt([{ uuid: U(5), name: "old-05", state: 5, xml: tcp }]);
    await driver.act(`local.vm.${U(5)}`, "start");
    expect(calls.guard).toEqual([{ table: "tandem_vm_guard", qemuUid: null, bridges: ["tandem-vm0"] }]);
    expect(calls.defined).toHaveLength(1);
    expect(doms[0]!.xml).toMatch(/<graphics type="vnc">\s*<listen type="socket"\/>\s*<\/graphics>/);
    expect(calls.create).toBe(1);
    // Already on a socket: the next start defines nothing.
    await driver.act(`local.vm.${U(5)}`, "stop");
    await driver.act(`local.vm.${U(5)}`, "start");
    expect(calls.defined).toHaveLength(1);
    await driver.close();
  });

  it("only undefines an adopted domain, purge or not", async () => {
    const disk = path.join(tmp, "adopted", "disk.qcow2");
    mkdirSync(path.dirname(disk), { recursive: true });
    writeFileSync(disk, "data");
    const xml = def("adopted-04", U(4), {
      meta: null,
      disks: [{ path: disk, format: "qcow2", device: "disk", bus: "virtio", target: "vda" }],
      serialLog: path.join(tmp, "adopted", "serial.log"),
    });
    const { driver, calls } = fakeLibvirt([{ uuid: U(4), name: "adopted-04", state: 5, xml }]);
    expect((await driver.get(`local.vm.${U(4)}`)).adopted).toBe(true);
    await driver.remove(`local.vm.${U(4)}`, { purgeDisks: true });
    expect(calls.undefine).toBe(1);
    expect(existsSync(disk)).toBe(true);
    await driver.close();
  });

  it("fills ipAddresses of running guests with one lease call per network", async () => {
    const lease = (mac: string, ip: string): DhcpLease => ({
      iface: "tandem-vm0",
      expiryTime: Math.floor(Date.now() / 1000) + 3600,
      type: "ipv4",
      mac,
      iaid: null,
      ipaddr: ip,
      prefix: 24,
      hostname: null,
      clientId: null,
    });
    const doms: FakeDom[] = [
      { uuid: U(11), name: "run-11", state: 1, xml: def("run-11", U(11)) },
      { uuid: U(12), name: "run-12", state: 1, xml: def("run-12", U(12)) },
      { uuid: U(13), name: "off-13", state: 5, xml: def("off-13", U(13)) },
      { uuid: U(14), name: "usr-14", state: 1, xml: def("usr-14", U(14), { nics: [{ kind: "user" }] }) },
    ];
    const { driver, calls } = fakeLibvirt(doms, {
      "tandem-isolated": [
        lease("52:54:00:00:00:11", "10.77.0.111"),
        lease("52:54:00:00:00:12", "10.77.0.112"),
        lease("52:54:00:00:00:13", "10.77.0.113"), // a stale lease of a stopped guest
      ],
    });
    const list = await driver.list();
    const ips = Object.fromEntries(list.map((g) => [g.name, g.ipAddresses]));
    expect(ips).toEqual({ "run-11": ["10.77.0.111"], "run-12": ["10.77.0.112"], "off-13": [], "usr-14": [] });
    expect(calls.leases).toBe(1);
    await driver.close();
  });

  it("returns the tail of the serial log the domain names", async () => {
    const log = path.join(tmp, "data", "vms", U(5), "serial.log");
    mkdirSync(path.dirname(log), { recursive: true });
    writeFileSync(log, "SeaBIOS\r\nTandem demo VM ready\r\n");
    const { driver } = fakeLibvirt([{ uuid: U(5), name: "vm-05", state: 1, xml: def("vm-05", U(5)) }]);
    const h = await driver.consoleHistory(`local.vm.${U(5)}`, 65536);
    expect(Buffer.from(h).toString()).toBe("SeaBIOS\r\nTandem demo VM ready\r\n");
    expect(codeOf(await driver.consoleHistory(`local.vm.${U(5)}`, 0).catch((e: unknown) => e))).toBe("VALIDATION");
    await driver.close();
  });

  it("sweeps on its first listing the directory of an interrupted create, not a VM's own", async () => {
    const vms = path.join(tmp, "data", "vms");
    const own = path.join(vms, U(21));
    const orphan = path.join(vms, U(22));
    for (const d of [own, orphan]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, "disk.qcow2"), "");
    }
    writeFileSync(path.join(orphan, ".unfinished"), ""); // as a create leaves it before libvirt's define
    const { driver } = fakeLibvirt([{ uuid: U(21), name: "vm-21", state: 5, xml: def("vm-21", U(21)) }]);
    expect(codeOf(await driver.get(`local.vm.${U(22)}`).catch((e: unknown) => e))).toBe("NOT_FOUND");
    expect((await driver.list()).map((g) => g.name)).toEqual(["vm-21"]);
    expect(existsSync(own)).toBe(true);
    expect(existsSync(orphan)).toBe(false);
    // Asked again (the services do it on start): nothing more to remove.
    expect(await driver.sweepOrphans()).toEqual([]);
    await driver.remove(`local.vm.${U(21)}`, { purgeDisks: true });
    await driver.close();
  });

  it("tells the host summary its acceleration, as detected or configured", async () => {
    const { driver } = fakeLibvirt([]);
    expect(hasAccel(driver)).toBe(true);
    expect(driver.accel).toBe("qemu");
    expect((await driver.health()).message).toBe(
      "libvirt 9.0.0, QEMU 7.2.0 at qemu:///system (TCG, no hardware virtualisation)",
    );
    await driver.close();
  });
});
