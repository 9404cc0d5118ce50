// What must hold before QEMU runs a VM: the host guard in place (every VM, once per
// connection), and for a Tandem VM its definition brought up to date (VNC on a unix socket,
// base images pinned), its directory shared with QEMU's group and every file QEMU opens
// reachable by QEMU's unprivileged user. Domains made outside Tandem keep their own XML and files.
import { existsSync } from "node:fs";
import path from "node:path";
import { DefineFlag, XMLFlag, type Connection, type Domain } from "../../../../native/libvirt/index";
import { pinBackingXml, vncSocketXml } from "./clone-xml";
import type { VmContext } from "./context";
import { backingChain, isImageFormat, type BackingLayer } from "./disks";
import { applyHostGuard, type HostGuardSpec } from "./host-guard";
import { makeReachable, makeReadable, shareDir } from "./qemu-access";
import { parseDomainXml, type ParsedDomain } from "./xml-parse";

export interface HostGuardOptions {
  /** nftables table (default tandem_vm_guard). */
  table?: string;
  /** For unit tests: record instead of applying. */
  apply?: (spec: HostGuardSpec) => Promise<void>;
}

export class StartPrep {
  /** The host guard installed for this connection's QEMU user. */
  private guardReady: Promise<void> | null = null;

  constructor(
    private readonly ctx: VmContext,
    private readonly guard: HostGuardOptions = {},
  ) {
    ctx.onNewConnection(() => (this.guardReady = null));
  }

  /**
   * The host firewall for guests (host-guard.ts), installed or refreshed once per connection
   * before the first guest starts: QEMU's user gets no new connection to a local address, and
   * the isolated bridge answers only DHCP and DNS. Fails closed: no guard, no start.
   */
  ensureHostGuard(c: Connection): Promise<void> {
    if (!this.ctx.isLocalUri()) return Promise.resolve();
    this.guardReady ??= (async () => {
      const who = await this.ctx.qemu(c);
      if (!who) this.ctx.log.warn("QEMU runs as root: guests on the user network can reach the host's loopback");
      await (this.guard.apply ?? applyHostGuard)({
        table: this.guard.table ?? "tandem_vm_guard",
        qemuUid: who?.uid ?? null,
        bridges: [this.ctx.net.bridge],
      });
    })().catch((e: unknown) => {
      this.guardReady = null;
      throw e;
    });
    return this.guardReady;
  }

  /** Everything a VM needs before each start (see the header). */
  async beforeStart(c: Connection, d: Domain): Promise<void> {
    await this.ensureHostGuard(c);
    const xml = await d.getXMLDesc(XMLFlag.INACTIVE);
    let parsed = parseDomainXml(xml);
    if (!parsed.tandem) return;
    // VMs defined before: VNC moves to a unix socket, base images get pinned (not handed to QEMU).
    const moved = vncSocketXml(xml);
    // (With QEMU as root there is nothing to keep from it: no chain is read then.)
    const chains = (await this.ctx.qemu(c)) ? await this.ownChains(d.uuid, parsed) : new Map<string, BackingLayer[]>();
    const pinned = pinBackingXml(moved ?? xml, chains);
    const next = pinned ?? moved;
    if (next) {
      (await c.defineDomain(next, DefineFlag.VALIDATE)).free();
      this.ctx.log.info(
        { name: parsed.name, vnc: moved !== null, backing: pinned !== null },
        "updated the VM's definition",
      );
      parsed = parseDomainXml(next);
    }
    const dir = this.ctx.layout.dir(d.uuid);
    if (existsSync(dir)) await shareDir(dir, await this.ctx.qemu(c));
    await this.reachFiles(c, parsed);
  }

  /**
   * Every file QEMU opens (disks and their backing chains, kernel, initrd, NVRAM) made reachable
   * by QEMU's unprivileged user. libvirt chowns the files themselves; the directories on the way
   * are Tandem's to open (under the data directory) or to report. `known`: chains the caller
   * pinned in this very definition (a create knows its overlay's base), so no qemu-img is run
   * for them — QEMU opens exactly the pinned layers.
   */
  async reachFiles(
    c: Connection,
    parsed: ParsedDomain,
    known?: ReadonlyMap<string, readonly { path: string }[]>,
  ): Promise<void> {
    const who = await this.ctx.qemu(c);
    if (!who) return;
    const dataDir = this.ctx.layout.dataDir;
    const files: string[] = [];
    const layers: string[] = [];
    for (const disk of parsed.disks) {
      if (disk.type !== "file" || !disk.path) continue;
      files.push(disk.path);
      const pinned = known?.get(disk.path);
      if (pinned) layers.push(...pinned.map((l) => l.path));
      else if (disk.format && disk.format !== "raw" && isImageFormat(disk.format) && existsSync(disk.path)) {
        layers.push(...(await backingChain(disk.path, disk.format)).map((l) => l.path));
      }
    }
    for (const f of [parsed.kernel, parsed.initrd, parsed.nvram]) if (f) files.push(f);
    // Files in parallel (the same directory fixed twice gets the same owner and mode).
    await Promise.all([...new Set([...files, ...layers])].map((f) => makeReachable(f, who, dataDir)));
    await Promise.all([...new Set(layers)].map((f) => makeReadable(f, who, dataDir)));
  }

  /** The backing chains of a Tandem VM's own qcow2 disks (its overlays), to pin in its XML. */
  private async ownChains(uuid: string, parsed: ParsedDomain): Promise<Map<string, BackingLayer[]>> {
    const out = new Map<string, BackingLayer[]>();
    for (const disk of parsed.disks) {
      if (disk.type !== "file" || !disk.path || disk.format !== "qcow2" || !existsSync(disk.path)) continue;
      if (!disk.path.startsWith(this.ctx.layout.dir(uuid) + path.sep)) continue;
      out.set(disk.path, await backingChain(disk.path, "qcow2"));
    }
    return out;
  }
}
