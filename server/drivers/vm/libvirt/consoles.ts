// A VM's consoles: the serial console (the newest viewer takes it over), the serial log's tail
// for a viewer that attaches late, and the VNC display as a connected byte stream. Tandem's VMs
// have VNC on a unix socket libvirt generates in the domain's private directory (only root and
// QEMU reach it); a domain made outside Tandem may have it on this host's loopback instead.
// Either way the stream speaks plain RFB: the browser's websocket ends at Tandem.
import { connect as netConnect } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import type { ConsoleStream } from "../../../domain/driver";
import { AppError, invalidState } from "../../../domain/errors";
import { SerialConsole } from "./console";
import { readConsoleLog } from "./console-log";
import type { VmContext } from "./context";
import { dial } from "./vnc-dial";
import { parseDomainXml } from "./xml-parse";

/** Most a console history read returns, whatever the caller asks for. */
const MAX_CONSOLE_HISTORY = 4 * 1024 * 1024;

export class Consoles {
  private readonly open = new Set<SerialConsole>();

  constructor(private readonly ctx: VmContext) {}

  async serial(id: string): Promise<ConsoleStream> {
    const uuid = this.ctx.uuidOf(id);
    return this.ctx.withDomain(id, "open the serial console", async (d) => {
      const st = await d.getState();
      const state = this.ctx.transitions.stateOf(uuid, st.code, st.reason);
      if (state !== "running" && state !== "paused" && state !== "shutting-down") {
        throw invalidState(`cannot open the console of a VM that is ${state}`);
      }
      // force: the newest viewer takes the console over (a second tab, a reconnect).
      const raw = await d.openConsole({ force: true });
      const con: SerialConsole = new SerialConsole(raw, () => this.open.delete(con));
      this.open.add(con);
      return con;
    });
  }

  /**
   * The tail of the serial log libvirt writes from power-on (`<log file=...>`). Empty when the
   * domain has no log or lives on another host.
   */
  async history(id: string, maxBytes: number): Promise<Uint8Array> {
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new AppError("VALIDATION", "maxBytes must be positive");
    const xml = await this.ctx.withDomain(id, "read the console history", (d) => d.getXMLDesc());
    const log = parseDomainXml(xml).serialLog;
    if (!log || !path.isAbsolute(log) || !this.ctx.isLocalUri()) return new Uint8Array(0);
    try {
      return await readConsoleLog(log, Math.min(maxBytes, MAX_CONSOLE_HISTORY));
    } catch (e) {
      throw this.ctx.fail(e, "read the console history", id);
    }
  }

  /** A connected stream to the running VM's VNC server (see the header). */
  async vnc(id: string): Promise<Duplex> {
    const vnc = await this.ctx.withDomain(id, "open the VNC console", async (d) => {
      if (!(await d.isActive())) throw invalidState("the VM is not running: its screen exists only while it runs");
      return parseDomainXml(await d.getXMLDesc()).vnc;
    });
    if (!this.ctx.isLocalUri()) {
      throw new AppError("BAD_REQUEST", "the screen of a VM on a remote libvirt host is not available yet");
    }
    if (vnc?.socket) return dial(() => netConnect(vnc.socket!));
    if (vnc?.port && vnc.port > 0) return dial(() => netConnect(vnc.port!, "127.0.0.1"));
    throw invalidState("the VM has no VNC display (it must be running with a VNC <graphics> device)");
  }

  /** Ends every serial console still open (the driver is closing). */
  closeAll(): void {
    for (const c of [...this.open]) c.close();
    this.open.clear();
  }
}
