// A guest's consoles and output: the serial/TTY console (with what it printed before anyone
// attached), an exec shell, the graphical console (a ticket, then the RFB stream) and the output
// log. Transports (socket.io, the VNC upgrade, REST) come here, never to a driver: each part answers
// BAD_REQUEST when the guest's backend lacks the feature.
import type { Duplex } from "node:stream";
import type { Guest } from "../contract/guest";
import type { LogLine } from "../contract/guest-extras";
import { canExec, canLog, canVnc, hasConsoleHistory, type ConsoleStream, type TermSize } from "../domain/driver";
import { AppError } from "../domain/errors";
import type { DriverRegistry } from "./driver-registry";
import type { GuestCatalog } from "./guest-catalog";

/** What the guest printed so far, at most this much, shown before the live console. */
const HISTORY_BYTES = 64 * 1024;

export class ConsoleService {
  constructor(
    private readonly drivers: DriverRegistry,
    private readonly catalog: GuestCatalog,
  ) {}

  /**
   * Opens the serial console (with its history) or an exec shell. The history is read before
   * attaching: a byte may be missed in between, but nothing is shown twice.
   */
  async openTerminal(
    id: string,
    mode: "serial" | "exec",
    size: TermSize,
  ): Promise<{ stream: ConsoleStream; history: Uint8Array | null }> {
    const guest = await this.catalog.get(id);
    if (mode === "exec") {
      const d = this.drivers.capable(guest.id, canExec, "exec");
      return { stream: await d.exec(guest.id, ["/bin/sh"], size), history: null };
    }
    const d = this.drivers.forGuest(guest.id);
    const history = hasConsoleHistory(d) ? await d.consoleHistory(guest.id, HISTORY_BYTES).catch(() => null) : null;
    return { stream: await d.openConsole(guest.id, size), history };
  }

  /** The guest, if its graphical console can be opened now (before a ticket is issued for it). */
  async vncReady(id: string): Promise<Guest> {
    const guest = await this.catalog.get(id);
    this.drivers.capable(guest.id, canVnc, "a graphical console");
    if (guest.state !== "running" && guest.state !== "paused") {
      throw new AppError("INVALID_STATE", `${guest.name} is ${guest.state}; start it to see its screen`);
    }
    return guest;
  }

  /** The RFB stream of the guest's display, already connected. */
  async openVnc(id: string): Promise<Duplex> {
    const guest = await this.catalog.get(id);
    return this.drivers.capable(guest.id, canVnc, "a graphical console").openVnc(guest.id);
  }

  /**
   * The guest's output log reader, checked first (unknown guest, no logs) so a follow can answer
   * with an error status before its stream begins.
   */
  async logs(
    id: string,
  ): Promise<(opts: { follow?: boolean; signal?: AbortSignal; tail?: number }) => Promise<AsyncIterable<LogLine>>> {
    const guest = await this.catalog.get(id);
    const d = this.drivers.capable(guest.id, canLog, "logs");
    return (opts) => d.logs(guest.id, opts);
  }
}
