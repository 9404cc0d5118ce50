// Integration tests for the libvirt addon against the real daemon (qemu:///system by default,
// TANDEM_LIBVIRT_URI to override). Every domain and network is named with RUN and swept after.
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connect,
  formatVersion,
  isLibvirtError,
  isNoDomain,
  isNoNetwork,
  isOperationInvalid,
  libraryVersion,
  ErrorCode,
  CreateFlag,
  UndefineFlag,
  type Connection,
  type DomainEvent,
} from "../index";
import { RUN, URI, hostKernel, qcow2, sweep, tempDir, tinyDomainXml, waitFor } from "./helpers";

let conn: Connection;
const closes: string[] = [];

beforeAll(async () => {
  conn = await connect(URI, { onClose: (r) => closes.push(r) });
  await sweep(conn);
});

afterAll(async () => {
  await sweep(conn);
  await conn?.close();
});

describe("connection", () => {
  it("reports versions, hostname and URI", async () => {
    expect(libraryVersion()).toBeGreaterThan(1_000_000);
    expect(formatVersion(9_000_000)).toBe("9.0.0");
    expect(await conn.getVersion()).toBeGreaterThan(1_000_000);
    expect(await conn.getLibVersion()).toBeGreaterThan(1_000_000);
    expect(await conn.getURI()).toBe(URI);
    expect((await conn.getHostname()).length).toBeGreaterThan(0);
    expect(conn.isAlive()).toBe(true);
    expect(conn.keepaliveSupported).toBe(true);
    expect(await conn.getCapabilities()).toContain("<capabilities>");
  });

  it("rejects with libvirt's own error numbers", async () => {
    const err = await conn.lookupDomainByName(`${RUN}-missing`).catch((e: unknown) => e);
    expect(isLibvirtError(err)).toBe(true);
    expect(isNoDomain(err)).toBe(true);
    if (!isLibvirtError(err)) throw err;
    expect(err.code).toBe(ErrorCode.NO_DOMAIN);
    expect(err.codeName).toBe("NO_DOMAIN");
    expect(err.domain).toBeGreaterThan(0);
    expect(err.message).toMatch(/no domain with matching name/);
    expect(err).toBeInstanceOf(Error);

    const byUuid = await conn.lookupDomainByUUID("00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
    expect(isNoDomain(byUuid)).toBe(true);
    const badUuid = await conn.lookupDomainByUUID("not-a-uuid").catch((e: unknown) => e);
    expect(isLibvirtError(badUuid) && badUuid.code).toBe(ErrorCode.INVALID_ARG);
    expect(isNoNetwork(await conn.networkGetXMLDesc(`${RUN}-nonet`).catch((e: unknown) => e))).toBe(true);
    const badXml = await conn.defineDomain("<domain><oops").catch((e: unknown) => e);
    expect([ErrorCode.XML_ERROR, ErrorCode.XML_DETAIL]).toContain(isLibvirtError(badXml) && badXml.code);
  });

  it("fails to connect to a bogus URI with a LibvirtError", async () => {
    const err = await connect("bogus:///nowhere").catch((e: unknown) => e);
    expect(isLibvirtError(err)).toBe(true);
  });
});

describe("domain lifecycle, stats and events", () => {
  it("defines, starts, samples, suspends, resumes, destroys and undefines a tiny domain", async () => {
    const name = `${RUN}-life`;
    const events: DomainEvent[] = [];
    const off = await conn.onDomainEvent((e) => {
      if (e.name === name) events.push(e);
    });
    try {
      const dom = await conn.defineDomain(tinyDomainXml(name, { kernel: hostKernel() }));
      expect(dom.name).toBe(name);
      expect(dom.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect((await dom.getState()).state).toBe("shutoff");
      expect(await dom.isPersistent()).toBe(true);
      expect(isOperationInvalid(await dom.suspend().catch((e: unknown) => e))).toBe(true);

      const t0 = performance.now();
      await dom.create();
      const startMs = performance.now() - t0;
      expect((await dom.getState()).state).toBe("running");
      expect(await dom.isActive()).toBe(true);
      expect((await conn.lookupDomainByName(name)).id).toBeGreaterThan(0);

      const info = await dom.getInfo();
      expect(info.nrVirtCpu).toBe(1);
      expect(info.maxMemKiB).toBe(128 * 1024);

      const byUuid = await conn.lookupDomainByUUID(dom.uuid);
      expect(byUuid.name).toBe(name);
      expect(await byUuid.getXMLDesc()).toContain(`<name>${name}</name>`);

      const t1 = performance.now();
      const stats = await conn.getAllDomainStats(["state", "cpu", "balloon", "block", "interface"], 1);
      const statsMs = performance.now() - t1;
      const mine = stats.find((s) => s.name === name);
      expect(mine?.uuid).toBe(dom.uuid);
      expect(mine?.params["state.state"]).toBe(1);
      expect(typeof mine?.params["cpu.time"]).toBe("number");
      expect(mine?.params["balloon.maximum"]).toBe(128 * 1024);

      const detailed = await conn.listAllDomainsDetailed();
      const d = detailed.find((x) => x.uuid === dom.uuid);
      expect(d?.state).toBe("running");
      expect(d?.xml).toContain("<domain");

      await dom.suspend();
      expect((await dom.getState()).state).toBe("paused");
      await dom.resume();
      expect((await dom.getState()).state).toBe("running");

      await dom.destroy();
      expect((await dom.getState()).state).toBe("shutoff");
      await dom.undefine(UndefineFlag.SNAPSHOTS_METADATA | UndefineFlag.NVRAM);
      expect(isNoDomain(await conn.lookupDomainByName(name).catch((e: unknown) => e))).toBe(true);

      await waitFor(() => events.some((e) => e.eventName === "undefined"), 5000, "undefined event");
      // QEMU adds its own (a "resumed" while starting, a "shutdown" before "stopped"): check
      // that the expected ones arrive in order.
      const seq = events.filter((e) => e.kind === "lifecycle").map((e) => e.eventName);
      const want = ["defined", "started", "suspended", "resumed", "stopped", "undefined"];
      let i = 0;
      for (const s of seq) if (s === want[i]) i++;
      expect({ seq, matched: i }).toEqual({ seq, matched: want.length });
      console.log(
        `[measure] virDomainCreate ${startMs.toFixed(0)} ms; getAllDomainStats(5 groups) ${statsMs.toFixed(1)} ms`,
      );
    } finally {
      await off();
    }
  });

  it("streams the serial console both ways and closes it", async () => {
    const kernel = hostKernel();
    if (!kernel) return;
    const name = `${RUN}-console`;
    const dom = await conn.defineDomain(tinyDomainXml(name, { kernel }));
    // The kernel prints its banner within a second: start paused, attach, then let it run.
    await dom.create(CreateFlag.PAUSED);
    const con = await dom.openConsole({ force: true });
    let text = "";
    con.onData((b) => (text += b.toString("latin1")));
    await dom.resume();
    const closed = new Promise<string>((r) => con.onClose((reason) => r(reason)));
    await waitFor(() => /Linux version/.test(text), 60_000, "kernel banner on ttyS0");
    // The kernel has no reader, but the bytes must go out without error.
    expect(con.write(Buffer.from("hello\r"))).toBeGreaterThanOrEqual(0);
    expect(con.write(new Uint8Array([13]))).toBeGreaterThanOrEqual(0);
    await waitFor(() => con.pending === 0, 5000, "console writes drained");
    await con.close();
    expect(await closed).toBe("closed");
    expect(() => con.write("x")).toThrow(/closed/);
    await dom.destroy();
    await dom.undefine();
  });

  it("creates, lists, reverts and deletes snapshots", async () => {
    const dir = tempDir();
    const disk = path.join(dir, "disk.qcow2");
    qcow2(disk);
    const name = `${RUN}-snap`;
    const dom = await conn.defineDomain(tinyDomainXml(name, { disk }));
    const snap = await dom.snapshotCreateXML(
      "<domainsnapshot><name>s1</name><description>first</description></domainsnapshot>",
    );
    expect(snap).toBe("s1");
    await dom.snapshotCreateXML("<domainsnapshot><name>s2</name></domainsnapshot>");
    expect((await dom.listSnapshots()).sort()).toEqual(["s1", "s2"]);
    expect(await dom.snapshotGetXMLDesc("s1")).toContain("<description>first</description>");
    // The newest snapshot is the current one until a revert moves the marker.
    expect(await dom.snapshotCurrentName()).toBe("s2");
    expect(await dom.snapshotIsCurrent("s2")).toBe(true);
    expect(await dom.snapshotIsCurrent("s1")).toBe(false);
    await dom.revertToSnapshot("s1");
    expect(await dom.snapshotCurrentName()).toBe("s1");
    const detailed = await dom.listSnapshotsDetailed();
    expect(detailed.map((s) => [s.name, s.current]).sort()).toEqual([
      ["s1", true],
      ["s2", false],
    ]);
    expect(detailed.find((s) => s.name === "s1")?.xml).toMatch(/<creationTime>\d+<\/creationTime>/);
    const noSnap = await dom.snapshotIsCurrent("nope").catch((e: unknown) => e);
    expect(isLibvirtError(noSnap) && noSnap.codeName).toBe("NO_DOMAIN_SNAPSHOT");
    await dom.deleteSnapshot("s2");
    expect(await dom.listSnapshots()).toEqual(["s1"]);
    await dom.deleteSnapshot("s1");
    expect(await dom.snapshotCurrentName()).toBeNull();
    expect(await dom.listSnapshotsDetailed()).toEqual([]);
    const missing = await dom.deleteSnapshot("nope").catch((e: unknown) => e);
    expect(isLibvirtError(missing) && missing.codeName).toBe("NO_DOMAIN_SNAPSHOT");
    await dom.snapshotCreateXML("<domainsnapshot><name>s3</name></domainsnapshot>");
    // Undefine refuses while snapshot metadata exists unless asked to drop it.
    await dom.undefine(UndefineFlag.SNAPSHOTS_METADATA);
  });
});

describe("networks", () => {
  it("defines, starts, lists, stops and undefines an isolated network", async () => {
    const name = `${RUN}-net`;
    const bridge = `tnt${process.pid % 100000}`;
    const xml = `<network><name>${name}</name><bridge name='${bridge}' stp='off'/></network>`;
    const def = await conn.networkDefineXML(xml);
    expect(def.name).toBe(name);
    await conn.networkCreate(name);
    const n = (await conn.listNetworks()).find((x) => x.name === name);
    expect(n).toMatchObject({ active: true, persistent: true, bridge });
    expect(await conn.networkGetXMLDesc(name)).toContain(`<bridge name='${bridge}'`);
    await conn.networkDestroy(name);
    await conn.networkUndefine(name);
    expect((await conn.listNetworks()).some((x) => x.name === name)).toBe(false);
  });

  it("reads DHCP leases of a network and the lease addresses of a domain on it", async () => {
    const name = `${RUN}-dhcp`;
    const bridge = `tnd${process.pid % 100000}`;
    const octet = 100 + (process.pid % 100);
    await conn.networkCreateXML(
      `<network><name>${name}</name><bridge name='${bridge}' stp='off'/>` +
        `<ip address='10.214.${octet}.1' netmask='255.255.255.0'><dhcp>` +
        `<range start='10.214.${octet}.100' end='10.214.${octet}.200'/></dhcp></ip></network>`,
    );
    // A fresh network has handed out nothing yet (a booted guest's lease is tested in the driver).
    expect(await conn.networkGetDHCPLeases(name)).toEqual([]);
    expect(await conn.networkGetDHCPLeases(name, "52:54:00:00:00:01")).toEqual([]);
    expect(isNoNetwork(await conn.networkGetDHCPLeases(`${RUN}-nonet`).catch((e: unknown) => e))).toBe(true);

    const dname = `${RUN}-nic`;
    const xml = tinyDomainXml(dname, { kernel: hostKernel() }).replace(
      "<serial type='pty'/>",
      `<interface type='network'><source network='${name}'/><mac address='52:54:00:aa:bb:01'/>` +
        `<model type='virtio'/></interface><serial type='pty'/>`,
    );
    const dom = await conn.defineDomain(xml);
    // Inactive: libvirt refuses; running without a lease: no interfaces with addresses.
    expect(isOperationInvalid(await dom.interfaceAddresses("lease").catch((e: unknown) => e))).toBe(true);
    await dom.create();
    expect(await dom.interfaceAddresses("lease")).toEqual([]);
    expect(() => dom.interfaceAddresses("bogus" as "lease")).toThrow(TypeError);
    // Rename: a wrong type throws at once; a running domain is refused by libvirt itself.
    expect(() => dom.rename(5 as unknown as string)).toThrow(TypeError);
    expect(isOperationInvalid(await dom.rename(`${dname}-x`).catch((e: unknown) => e))).toBe(true);
    await dom.destroy();
    await dom.undefine();
    await conn.networkDestroy(name);
  });
});

describe("bad arguments never crash the process", () => {
  it("throws TypeError for wrong types and missing arguments", async () => {
    const c = conn as unknown as Record<string, (...a: unknown[]) => unknown>;
    expect(() => c.lookupDomainByName!.call(conn, 42)).toThrow(TypeError);
    expect(() => c.lookupDomainByName!.call(conn)).toThrow(TypeError);
    expect(() => c.defineDomain!.call(conn, { xml: 1 })).toThrow(TypeError);
    expect(() => c.defineDomain!.call(conn, "<x/>", "flags")).toThrow(TypeError);
    expect(() => c.defineDomain!.call(conn, "<x/>", -1)).toThrow(TypeError);
    expect(() => c.lookupDomainByName!.call(conn, "a\0b")).toThrow(TypeError);
    expect(() => c.getAllDomainStats!.call(conn, ["nope"])).toThrow(TypeError);
    expect(() => c.networkGetXMLDesc!.call(conn, "n", "flags")).toThrow(TypeError);
    expect(() => c.networkCreate!.call(conn, null)).toThrow(TypeError);
    expect(() => c.networkGetDHCPLeases!.call(conn, "n", 5)).toThrow(TypeError);
    expect(() => c.networkGetDHCPLeases!.call(conn)).toThrow(TypeError);
    await expect(connect(7 as unknown as string)).rejects.toThrow(TypeError);
  });

  it("refuses direct construction, foreign receivers and freed handles", async () => {
    const require = createRequire(import.meta.url);
    const raw = require("../build/Release/tandem_libvirt.node") as Record<string, new (...a: unknown[]) => object>;
    expect(() => new raw.Domain!()).toThrow(TypeError);
    expect(() => new raw.Connection!({})).toThrow(TypeError);
    expect(() => new raw.Stream!()).toThrow(TypeError);
    const proto = raw.Domain!.prototype as Record<string, (...a: unknown[]) => unknown>;
    expect(() => proto.create!.call({})).toThrow();
    expect(() => (raw.open as unknown as (...a: unknown[]) => unknown)(1)).toThrow(TypeError);

    const name = `${RUN}-freed`;
    const dom = await conn.defineDomain(tinyDomainXml(name));
    const again = await conn.lookupDomainByName(name);
    dom.free();
    dom.free(); // idempotent
    expect(dom.isFreed()).toBe(true);
    expect(() => dom.getXMLDesc()).toThrow(/freed/);
    expect(() => dom.name).toThrow(/freed/);
    expect(() => dom.snapshotCurrentName()).toThrow(/freed/);
    const raw2 = again as unknown as { n: Record<string, (...a: unknown[]) => unknown> };
    expect(() => raw2.n.interfaceAddresses!(9)).toThrow(TypeError);
    expect(() => raw2.n.interfaceAddresses!("lease")).toThrow(TypeError);
    expect(() => raw2.n.snapshotIsCurrent!(42)).toThrow(TypeError);
    expect(() => raw2.n.listSnapshotsDetailed!(0, "x")).toThrow(TypeError);
    await again.undefine(); // the other handle still works
  });

  it("throws on a closed connection, and its domains refuse too", async () => {
    const c2 = await connect(URI);
    const doms = await c2.listAllDomains();
    const anyDom = doms[0];
    await c2.close();
    await c2.close(); // idempotent
    expect(c2.isClosed()).toBe(true);
    expect(c2.isAlive()).toBe(false);
    expect(() => c2.listAllDomains()).toThrow(/closed/);
    expect(() => c2.getAllDomainStats(["state"])).toThrow(/closed/);
    if (anyDom) expect(() => anyDom.getInfo()).toThrow(/closed/);
    for (const d of doms) d.free();
  });

  it("survives many concurrent calls and a GC of unreferenced handles", async () => {
    const calls = Array.from({ length: 200 }, (_, i) =>
      i % 2 ? conn.listAllDomains() : conn.lookupDomainByName(`${RUN}-nope-${i}`).catch((e: unknown) => e),
    );
    const res = await Promise.all(calls);
    expect(res.filter((r) => isNoDomain(r)).length).toBe(100);
    (globalThis as { gc?: () => void }).gc?.();
    expect(closes).toEqual([]);
  });
});
