// The VM driver against the real libvirtd with the offline demo image under TCG (or KVM where
// the CPU has it). Everything made here is named tvt-<tag>-* and swept in afterAll.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriverEvent, GuestSpec } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import { demoShell, haveBackend, makeEnv, rfbGreeting, URI, waitFor, type VmTestEnv } from "./test/support";

const run = haveBackend();
let env: VmTestEnv;
const events: DriverEvent[] = [];
const abort = new AbortController();
const measure: Record<string, string> = {};

const codeOf = (e: unknown) => (e instanceof AppError ? e.code : e instanceof Error ? e.message : String(e));

describe.skipIf(!run)("LibvirtDriver against libvirtd", () => {
  beforeAll(async () => {
    env = await makeEnv();
    void (async () => {
      for await (const e of env.driver.events(abort.signal)) events.push(e);
    })();
  }, 240_000);

  afterAll(async () => {
    abort.abort();
    if (Object.keys(measure).length) console.warn(`[measure] ${JSON.stringify(measure)}`);
    await env?.cleanup();
  }, 120_000);

  it("reports health with versions and acceleration", async () => {
    const h = await env.driver.health();
    expect(h.healthy).toBe(true);
    expect(h.message).toMatch(/libvirt \d+\.\d+\.\d+, QEMU \d+/);
    expect(h.message).toContain(env.driver.accel === "kvm" ? "KVM" : "TCG");
    await waitFor(() => events.some((e) => e.type === "connection" && e.healthy), 5000, "a healthy connection event");
  });

  it("demo VM: create → running → banner → echo hi → pause → resume → shutdown → remove with purge", async () => {
    const spec = env.spec();
    const id = `local.vm.${spec.uuid}`;
    const progress: number[] = [];
    const t0 = performance.now();
    const g = await env.driver.create(spec, (p) => progress.push(p.percent));
    measure.createToRunningMs = (performance.now() - t0).toFixed(0);
    expect(g).toMatchObject({ id, name: spec.name, state: "running", adopted: false, image: "demo-vm", vcpus: 1 });
    expect(g.memoryMiB).toBe(192);
    expect(progress.at(-1)).toBe(100);
    const dir = env.driver.filesDir(id);
    expect(existsSync(path.join(dir, "disk.qcow2"))).toBe(true);

    // The live XML carries what the issue asks for.
    const xml = await env.driver.domainXml(id);
    expect(xml).toMatch(/<log file='[^']*serial\.log' append='off'\/>/);
    // VNC on a unix socket in libvirt's per-domain directory, no TCP port.
    expect(xml).toMatch(/<graphics type='vnc' socket='\/var\/lib\/libvirt\/qemu\/domain-\d+-[^/']+\/vnc\.sock'>/);
    expect(xml).not.toMatch(/<graphics[^>]*(port|websocket)=/);
    expect(xml).toMatch(/<memballoon model='virtio'>\s*<stats period='1'\/>/);
    expect(xml).toContain("https://tandem.dev/xmlns/guest/1");
    const info = JSON.parse(
      execFileSync("qemu-img", ["info", "-U", "--output=json", path.join(dir, "disk.qcow2")]).toString(),
    );
    expect(info["backing-filename"]).toBe(spec.resolvedImage.meta.disk);

    // Serial console: banner, then a shell that echoes.
    const con = await env.driver.openConsole(id, { cols: 80, rows: 24 });
    let out = "";
    con.onData((d) => {
      const s = Buffer.from(d).toString("latin1");
      out += s;
      // busybox ash asks for the cursor position before each prompt: answer like a terminal.
      if (s.includes("\x1b[6n")) con.write(Buffer.from("\x1b[24;1R"));
    });
    let closeReason = "";
    con.onClose((r) => (closeReason = r));
    await waitFor(() => out.includes("Tandem demo VM ready"), 120_000, "the demo banner on ttyS0");
    measure.createToBannerMs = (performance.now() - t0).toFixed(0);
    await waitFor(() => out.includes("tandem-vm:~# "), 30_000, "the shell prompt");
    const mark = out.length;
    const tEcho = performance.now();
    con.write(Buffer.from("echo hi\r"));
    await waitFor(() => /\r?\nhi\r?\n/.test(out.slice(mark)), 20_000, "'hi' echoed back");
    measure.echoRoundTripMs = (performance.now() - tEcho).toFixed(0);

    // Stats: one bulk call.
    const samples = await env.driver.sample([id, "local.vm.00000000-0000-4000-8000-000000000000", "bogus"]);
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ id, cpuCount: 1, memoryLimitBytes: 192 * 1024 * 1024 });
    expect(samples[0]!.cpuTimeNs).toBeGreaterThan(0);
    expect(samples[0]!.memoryUsedBytes).toBeGreaterThan(0);
    expect(samples[0]!.diskReadBytes).toBeGreaterThan(0);
    const n = 20;
    const ts = performance.now();
    for (let i = 0; i < n; i++) await env.driver.sample([id]);
    measure.sampleCallMs1Vm = ((performance.now() - ts) / n).toFixed(2);

    // VNC: the stream the driver opens is QEMU's RFB server.
    expect(await rfbGreeting(await env.driver.openVnc(id))).toMatch(/^RFB 003\.00\d\n$/);

    // Pause / resume, with events reaching a subscriber within a second.
    const seen = (state: string, after: number) =>
      events.slice(after).some((e) => e.type === "changed" && e.id === id && e.state === state);
    let before = events.length;
    await env.driver.act(id, "pause");
    expect((await env.driver.get(id)).state).toBe("paused");
    await waitFor(() => seen("paused", before), 1000, "a paused event");
    expect(codeOf(await env.driver.act(id, "pause").catch((e: unknown) => e))).toBe("INVALID_STATE");
    expect(codeOf(await env.driver.act(id, "shutdown").catch((e: unknown) => e))).toBe("INVALID_STATE");
    before = events.length;
    await env.driver.act(id, "resume");
    expect((await env.driver.get(id)).state).toBe("running");
    await waitFor(() => seen("running", before), 1000, "a resumed event");

    // ACPI shutdown: acpid in the guest powers it off; act resolves once it is off.
    before = events.length;
    const tShut = performance.now();
    await env.driver.act(id, "shutdown");
    measure.acpiShutdownMs = (performance.now() - tShut).toFixed(0);
    expect((await env.driver.get(id)).state).toBe("stopped");
    expect(events.slice(before).some((e) => e.type === "changed" && e.state === "shutting-down")).toBe(true);
    await waitFor(() => seen("stopped", before), 1000, "a stopped event");
    await waitFor(() => closeReason !== "", 5000, "the console to close with the guest");
    expect(codeOf(await env.driver.openConsole(id, { cols: 80, rows: 24 }).catch((e: unknown) => e))).toBe(
      "INVALID_STATE",
    );
    expect(readFileSync(path.join(dir, "serial.log"), "latin1")).toContain("Tandem demo VM ready");

    // Delete with purge: no domain, no directory, no libvirt log; the base image stays.
    await env.driver.remove(id, { purgeDisks: true });
    expect(codeOf(await env.driver.get(id).catch((e: unknown) => e))).toBe("NOT_FOUND");
    expect((await env.conn.listAllDomains()).some((d) => d.name === spec.name)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(`/var/log/libvirt/qemu/${spec.name}.log`)).toBe(false);
    expect(readdirSync(path.join(env.dataDir, "vms"))).toEqual([]);
    expect(existsSync(String(spec.resolvedImage.meta.disk))).toBe(true);
    await waitFor(() => events.some((e) => e.type === "removed" && e.id === id), 1000, "a removed event");
  }, 300_000);

  it("lists a virsh-defined domain as adopted, and removing it leaves its disk alone", async () => {
    const name = `${env.prefix}-adopted`;
    const disk = path.join(env.tmp, "adopted.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
    const xmlFile = path.join(env.tmp, "adopted.xml");
    writeFileSync(
      xmlFile,
      `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>2</vcpu>` +
        `<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>` +
        `<driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
    );
    execFileSync("virsh", ["-c", URI, "define", xmlFile], { stdio: "ignore" });
    try {
      const g = (await env.driver.list()).find((x) => x.name === name);
      expect(g).toMatchObject({ adopted: true, image: null, state: "stopped", vcpus: 2, memoryMiB: 64, diskGiB: null });
      expect(g!.id).toMatch(/^local\.vm\.[0-9a-f-]{36}$/);
      expect((await env.driver.get(g!.id)).name).toBe(name);
      // A linked clone of it is Tandem's (its overlay is in Tandem's directory); the adopted disk
      // stays the clone's base, and deleting the adopted domain still only undefines it.
      const c = await env.driver.clone(
        g!.id,
        { name: `${env.prefix}-adopted-copy`, mode: "linked", uuid: crypto.randomUUID() },
        () => {},
      );
      expect(c).toMatchObject({ adopted: false, image: null });
      expect(codeOf(await env.driver.act(g!.id, "start").catch((e: unknown) => e))).toBe("CONFLICT");
      await env.driver.remove(g!.id, { purgeDisks: true });
      expect((await env.driver.list()).some((x) => x.name === name)).toBe(false);
      expect(existsSync(disk)).toBe(true); // not Tandem's file: never purged
      await env.driver.remove(c.id, { purgeDisks: true });
      expect(existsSync(env.driver.filesDir(c.id))).toBe(false);
      expect(existsSync(disk)).toBe(true);
    } finally {
      try {
        execFileSync("virsh", ["-c", URI, "undefine", name], { stdio: "ignore" });
      } catch {
        /* already gone */
      }
    }
  });

  it("refuses hostile names without touching libvirt or the disk", async () => {
    const hostile = [`x'"<&>../` + "a".repeat(300), "../../etc/passwd", "a b", "<domain>", "x".repeat(64), ""];
    const vms = path.join(env.dataDir, "vms");
    const files = () => (existsSync(vms) ? readdirSync(vms).sort() : []);
    const filesBefore = files();
    const before = (await env.conn.listAllDomains()).length;
    for (const name of hostile) {
      const err = await env.driver.create(env.spec({ name }), () => undefined).catch((e: unknown) => e);
      expect(codeOf(err)).toBe("VALIDATION");
    }
    expect((await env.conn.listAllDomains()).length).toBe(before);
    expect(files()).toEqual(filesBefore);
  });

  it("maps unknown ids and refused actions to NOT_FOUND and INVALID_STATE", async () => {
    for (const id of ["local.vm.00000000-0000-4000-8000-000000000000", "other.vm.x", "local.container.abc", "junk"]) {
      expect(codeOf(await env.driver.get(id).catch((e: unknown) => e))).toBe("NOT_FOUND");
      expect(codeOf(await env.driver.act(id, "start").catch((e: unknown) => e))).toBe("NOT_FOUND");
    }
    const spec = env.spec({ start: false });
    const g = await env.driver.create(spec, () => undefined);
    expect(g.state).toBe("stopped");
    for (const a of ["pause", "resume", "stop", "shutdown", "reboot"] as const) {
      expect(codeOf(await env.driver.act(g.id, a).catch((e: unknown) => e))).toBe("INVALID_STATE");
    }
    expect(codeOf(await env.driver.openVnc(g.id).catch((e: unknown) => e))).toBe("INVALID_STATE");
    const dup = await env.driver.create({ ...env.spec(), name: spec.name }, () => undefined).catch((e: unknown) => e);
    expect(codeOf(dup)).toBe("CONFLICT");
    await env.driver.remove(g.id, { purgeDisks: true });
    expect(existsSync(path.join(env.dataDir, "vms", spec.uuid))).toBe(false);
  });

  it("creates from an ISO with a blank disk and from a cloud image with a NoCloud seed", async () => {
    const isoDir = path.join(env.tmp, "iso-src");
    execFileSync("mkdir", ["-p", isoDir]);
    writeFileSync(path.join(isoDir, "README"), "installer\n");
    const iso = path.join(env.tmp, "installer.iso");
    execFileSync("genisoimage", ["-quiet", "-o", iso, "-V", "INSTALL", isoDir]);
    const isoSpec = env.spec({
      start: false,
      diskGiB: 2,
      resolvedImage: { id: "iso-1", kind: "vm", format: "iso", path: iso, meta: {} },
    });
    const a = await env.driver.create(isoSpec, () => undefined);
    expect(a.diskGiB).toBe(2);
    const ax = await env.driver.domainXml(a.id);
    expect(ax).toMatch(/<boot dev='cdrom'\/>\s*<boot dev='hd'\/>/);
    expect(ax).toContain(iso);

    const base = path.join(env.tmp, "cloud.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", base, "64M"]);
    const cloudSpec = env.spec({
      start: false,
      diskGiB: 1,
      resolvedImage: { id: "cloud-1", kind: "vm", format: "qcow2", path: base, meta: {} },
      cloudInit: { hostname: "web1", user: "ada", password: "s3cret", sshKeys: ["ssh-ed25519 AAAAC3 ada@x"] },
    });
    const b = await env.driver.create(cloudSpec, () => undefined);
    const dir = env.driver.filesDir(b.id);
    const seed = path.join(dir, "seed.iso");
    expect(existsSync(seed)).toBe(true);
    expect(execFileSync("blkid", ["-o", "value", "-s", "LABEL", seed]).toString().trim().toLowerCase()).toBe("cidata");
    const seedBytes = readFileSync(seed).toString("latin1");
    expect(seedBytes).toContain('"local-hostname": "web1"');
    expect(seedBytes).toContain("ssh-ed25519 AAAAC3 ada@x");
    expect(await env.driver.domainXml(b.id)).toMatch(/<disk type='file' device='cdrom'>[\s\S]*seed\.iso/);

    // A clone of it gets its own seed: same user and key, a new instance-id and hostname.
    const cloneName = `${env.prefix}-web2`;
    const bc = await env.driver.clone(b.id, { name: cloneName, mode: "full", uuid: crypto.randomUUID() }, () => {});
    const cseed = readFileSync(path.join(env.driver.filesDir(bc.id), "seed.iso")).toString("latin1");
    expect(cseed).toContain(`"local-hostname": "${cloneName}"`);
    expect(cseed).toContain(`"instance-id": "${bc.id.slice("local.vm.".length)}"`);
    expect(cseed).toContain("ssh-ed25519 AAAAC3 ada@x");
    expect(cseed).not.toContain('"web1"');
    expect(await env.driver.domainXml(bc.id)).toContain(`${env.driver.filesDir(bc.id)}/seed.iso`);
    // The ISO VM's clone shares the installer ISO (read-only media outside the VM's directory).
    const ac = await env.driver.clone(
      a.id,
      { name: `${env.prefix}-iso2`, mode: "linked", uuid: crypto.randomUUID() },
      () => {},
    );
    expect(await env.driver.domainXml(ac.id)).toContain(iso);
    expect(codeOf(await env.driver.remove(a.id, { purgeDisks: true }).catch((e: unknown) => e))).toBe("CONFLICT");
    for (const x of [ac, a, bc, b]) await env.driver.remove(x.id, { purgeDisks: true });
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(base)).toBe(true);
    expect(existsSync(iso)).toBe(true);
  });

  it("creates, lists, reverts and deletes snapshots; delete removes the VM with its snapshots", async () => {
    const g = await env.driver.create(env.spec({ start: false }), () => undefined);
    await env.driver.createSnapshot(g.id, "before-upgrade", `notes with <xml> & "quotes"`);
    await env.driver.createSnapshot(g.id, "second");
    const t0 = Date.now();
    const list = await env.driver.listSnapshots(g.id);
    expect(list.map((s) => [s.name, s.current])).toEqual([
      ["before-upgrade", false],
      ["second", true], // the newest is current
    ]);
    expect(list.find((s) => s.name === "before-upgrade")).toMatchObject({
      description: `notes with <xml> & "quotes"`,
      state: "shutoff",
    });
    for (const s of list) {
      // libvirt's creationTime (whole seconds), not the time of the listing
      expect(Math.abs(Date.parse(s.createdAt) - t0)).toBeLessThan(30_000);
      expect(s.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    }
    expect(codeOf(await env.driver.createSnapshot(g.id, "../x").catch((e: unknown) => e))).toBe("VALIDATION");
    await env.driver.revertSnapshot(g.id, "before-upgrade");
    expect((await env.driver.listSnapshots(g.id)).filter((s) => s.current).map((s) => s.name)).toEqual([
      "before-upgrade",
    ]);
    await env.driver.deleteSnapshot(g.id, "second");
    expect(codeOf(await env.driver.deleteSnapshot(g.id, "second").catch((e: unknown) => e))).toBe("NOT_FOUND");
    expect((await env.driver.listSnapshots(g.id)).map((s) => s.name)).toEqual(["before-upgrade"]);
    await env.driver.remove(g.id, { purgeDisks: true }); // with a snapshot still there
    expect(codeOf(await env.driver.get(g.id).catch((e: unknown) => e))).toBe("NOT_FOUND");
  });

  it("runs a VM on the isolated Tandem network: DHCP address in list() and get(), reboot publishes a change", async () => {
    const spec: GuestSpec = env.spec({ network: "isolated" });
    const g = await env.driver.create(spec, () => undefined);
    expect(g.state).toBe("running");
    const nets = await env.conn.listNetworks();
    const net = nets.find((n) => n.name === env.opts.isolatedNetwork!.name);
    expect(net).toMatchObject({ active: true, bridge: env.opts.isolatedNetwork!.bridge });
    const netXml = await env.conn.networkGetXMLDesc(net!.name);
    expect(netXml).not.toContain("<forward");
    expect(await env.driver.domainXml(g.id)).toContain(`<source network='${net!.name}'`);

    // The guest's udhcpc gets a lease from libvirt's dnsmasq; list() reads it with one call.
    const prefix = env.opts.isolatedNetwork!.prefix!;
    const listed = await waitFor(
      async () => (await env.driver.list()).find((x) => x.id === g.id && x.ipAddresses.length > 0),
      60_000,
      "a DHCP address in list()",
    );
    expect(listed.ipAddresses).toHaveLength(1);
    expect(listed.ipAddresses[0]).toMatch(new RegExp(`^${prefix.replace(/\./g, "\\.")}\\.\\d+$`));
    expect((await env.driver.get(g.id)).ipAddresses).toEqual(listed.ipAddresses);
    // The same address through virDomainInterfaceAddresses(LEASE) in the binding.
    const dom = await env.conn.lookupDomainByUUID(spec.uuid);
    const ifaces = await dom.interfaceAddresses("lease");
    dom.free();
    expect(ifaces.flatMap((i) => i.addrs.map((a) => a.addr))).toEqual(listed.ipAddresses);
    // What the lease lookup costs list(): same call without it (raw) vs with it (driver).
    const n = 20;
    let t = performance.now();
    for (let i = 0; i < n; i++) (await env.conn.listAllDomainsDetailed()).forEach((d) => d.domain.free());
    measure.listRawMs = ((performance.now() - t) / n).toFixed(2);
    t = performance.now();
    for (let i = 0; i < n; i++) await env.driver.list();
    measure.listWithLeasesMs = ((performance.now() - t) / n).toFixed(2);
    t = performance.now();
    for (let i = 0; i < n; i++) await env.conn.networkGetDHCPLeases(net!.name);
    measure.leasesCallMs = ((performance.now() - t) / n).toFixed(2);

    // Reboot: libvirt sends no lifecycle event, the driver publishes a change itself.
    const before = events.length;
    await env.driver.act(g.id, "reboot");
    await waitFor(
      () => events.slice(before).some((e) => e.type === "changed" && e.id === g.id),
      1000,
      "a changed event after reboot",
    );
    await env.driver.act(g.id, "stop");
    // Stopped: no address, though dnsmasq still holds its lease.
    const stopped = await env.driver.get(g.id);
    expect(stopped).toMatchObject({ state: "stopped", ipAddresses: [] });
    await env.driver.remove(g.id, { purgeDisks: true });
  }, 120_000);

  it("clones a stopped VM linked and full: both boot with the source's data; the source is their template", async () => {
    // The source: boot it, leave a file on its disk, power it off.
    const srcSpec = env.spec();
    const src = await env.driver.create(srcSpec, () => undefined);
    const marker = `tandem-${env.tag}-data`;
    let sh = await demoShell(env.driver, src.id);
    await sh.waitFor("tandem-vm:~# ", 120_000, "the source's shell");
    await sh.run(`echo ${marker} > /mnt/marker && sync && echo wrote$((40+2))`, "wrote42");
    sh.con.close();
    await env.driver.act(src.id, "stop");

    // Refused while running, and for bad names; CONFLICT for a taken name.
    const running = env.spec();
    const r = await env.driver.create(running, () => undefined);
    const opt = (mode: "linked" | "full", name = env.spec().name) => ({ name, mode, uuid: crypto.randomUUID() });
    expect(codeOf(await env.driver.clone(r.id, opt("full"), () => undefined).catch((e: unknown) => e))).toBe(
      "INVALID_STATE",
    );
    await env.driver.act(r.id, "stop");
    await env.driver.remove(r.id, { purgeDisks: true });
    expect(codeOf(await env.driver.clone(src.id, opt("full", "../x"), () => undefined).catch((e: unknown) => e))).toBe(
      "VALIDATION",
    );
    expect(
      codeOf(await env.driver.clone(src.id, opt("full", srcSpec.name), () => undefined).catch((e: unknown) => e)),
    ).toBe("CONFLICT");

    // Linked: an overlay on the source's disk, made at once.
    const linkedOpt = opt("linked");
    let t0 = performance.now();
    const linked = await env.driver.clone(src.id, linkedOpt, () => undefined);
    measure.cloneLinkedMs = (performance.now() - t0).toFixed(0);
    // Full: an independent copy, with progress.
    const progress: number[] = [];
    const fullOpt = opt("full");
    t0 = performance.now();
    const full = await env.driver.clone(src.id, fullOpt, (p) => progress.push(p.percent));
    measure.cloneFullMs = (performance.now() - t0).toFixed(0);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const srcDisk = path.join(env.driver.filesDir(src.id), "disk.qcow2");
    const info = (f: string) =>
      JSON.parse(execFileSync("qemu-img", ["info", "-U", "--output=json", f]).toString()) as Record<string, unknown>;
    const linkedDisk = path.join(env.driver.filesDir(linked.id), "disk.qcow2");
    const fullDisk = path.join(env.driver.filesDir(full.id), "disk.qcow2");
    expect(info(linkedDisk)["backing-filename"]).toBe(srcDisk);
    expect(info(fullDisk)["backing-filename"]).toBeUndefined();
    for (const [c, o] of [
      [linked, linkedOpt],
      [full, fullOpt],
    ] as const) {
      expect(c).toMatchObject({
        id: `local.vm.${o.uuid}`,
        name: o.name,
        state: "stopped",
        adopted: false,
        image: "demo-vm",
      });
      const xml = await env.driver.domainXml(c.id);
      expect(xml).toContain(`<tandem:cloned-from>${src.id}</tandem:cloned-from>`);
      expect(xml).toContain(`<tandem:clone-mode>${o.mode}</tandem:clone-mode>`);
      expect(xml).toContain(`${env.driver.filesDir(c.id)}/serial.log`);
      expect(xml).not.toContain(env.driver.filesDir(src.id) + "/serial.log");
    }
    const mac = (xml: string) => /<mac address='([^']+)'/.exec(xml)?.[1];
    const macs = await Promise.all([src.id, linked.id, full.id].map(async (i) => mac(await env.driver.domainXml(i))));
    expect(new Set(macs).size).toBe(3);

    // The source is now the linked clone's template.
    const startSrc = await env.driver.act(src.id, "start").catch((e: unknown) => e);
    expect(codeOf(startSrc)).toBe("CONFLICT");
    expect((startSrc as Error).message).toContain(linkedOpt.name);
    expect(codeOf(await env.driver.remove(src.id, { purgeDisks: true }).catch((e: unknown) => e))).toBe("CONFLICT");
    expect(existsSync(srcDisk)).toBe(true);

    // Both clones boot; the banner is in the console history before anyone attaches.
    await Promise.all([env.driver.act(linked.id, "start"), env.driver.act(full.id, "start")]);
    for (const c of [linked, full]) {
      await waitFor(
        async () => Buffer.from(await env.driver.consoleHistory(c.id, 64 * 1024)).includes("Tandem demo VM ready"),
        120_000,
        `${c.name}'s banner in the console history`,
      );
      sh = await demoShell(env.driver, c.id);
      await sh.run("", "tandem-vm:~# ", 30_000);
      await sh.run("cat /mnt/marker", `\r\n${marker}`);
      sh.con.close();
    }
    const hist = Buffer.from(await env.driver.consoleHistory(full.id, 200)).toString("latin1");
    expect(hist.length).toBeLessThanOrEqual(200);

    // Purge both clones; then the source is free to go too.
    for (const c of [linked, full]) {
      await env.driver.act(c.id, "stop");
      await env.driver.remove(c.id, { purgeDisks: true });
      expect(existsSync(env.driver.filesDir(c.id))).toBe(false);
    }
    await env.driver.remove(src.id, { purgeDisks: true });
    expect(existsSync(path.dirname(srcDisk))).toBe(false);
    expect(readdirSync(path.join(env.dataDir, "vms"))).toEqual([]);
  }, 240_000);
});
