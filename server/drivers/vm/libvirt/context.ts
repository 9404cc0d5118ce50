// What every part of the VM driver shares: the connection to libvirtd (through LibvirtLink),
// libvirt errors turned into AppErrors, guest id ↔ domain uuid, a freshly looked-up domain
// handle per call, who QEMU runs as on this connection, the event hub, the file layout and the
// transient states. Facts that belong to one connection are dropped when it is replaced.
import {
  connect as libvirtConnect,
  isConnectionError,
  isLibvirtError,
  isNoDomain,
  isOperationInvalid,
  type Connection,
  type Domain,
} from "../../../../native/libvirt/index";
import { EventHub } from "../../../domain/event-hub";
import { AppError, invalidState, notFound } from "../../../domain/errors";
import { makeGuestId, parseGuestId } from "../../../domain/ids";
import { silentLogger, type Logger } from "../../../domain/logger";
import type { Accel } from "./accel";
import { VmLayout, UUID_RE } from "./layout";
import { LibvirtLink, type ConnectFn } from "./link";
import { qemuIdentity, type QemuIdentity } from "./qemu-access";
import { Transitions } from "./transitions";

export interface IsolatedNetworkOptions {
  /** libvirt network name (default tandem-isolated). */
  name: string;
  /** Host bridge (default tandem-vm0). */
  bridge: string;
  /** First three octets of the /24 (default 10.77.0): host .1, DHCP .100–.254. */
  prefix: string;
}

export interface ContextOptions {
  uri: string;
  hostId: string;
  dataDir: string;
  accel: Accel;
  logger?: Logger;
  isolatedNetwork?: Partial<IsolatedNetworkOptions>;
  reconnect?: { minDelayMs?: number; maxDelayMs?: number };
  connect?: ConnectFn;
}

export class VmContext {
  readonly uri: string;
  readonly hostId: string;
  readonly accel: Accel;
  readonly log: Logger;
  readonly layout: VmLayout;
  readonly net: IsolatedNetworkOptions;
  readonly hub = new EventHub();
  readonly transitions = new Transitions();
  readonly link: LibvirtLink;
  private readonly resets: (() => void)[] = [];
  /** Who the daemon runs QEMU as (its DAC base label); null: root or remote. */
  private qemuUser: Promise<QemuIdentity | null> | null = null;
  private closed = false;

  constructor(o: ContextOptions) {
    this.uri = o.uri;
    this.hostId = o.hostId;
    this.accel = o.accel;
    this.log = o.logger ?? silentLogger;
    this.layout = new VmLayout(o.dataDir);
    this.net = {
      name: o.isolatedNetwork?.name ?? "tandem-isolated",
      bridge: o.isolatedNetwork?.bridge ?? "tandem-vm0",
      prefix: o.isolatedNetwork?.prefix ?? "10.77.0",
    };
    const connect: ConnectFn = o.connect ?? ((uri, onClose) => libvirtConnect(uri, { onClose: (r) => onClose(r) }));
    this.onNewConnection(() => (this.qemuUser = null)); // a restarted daemon may run QEMU as another user
    this.link = new LibvirtLink({
      uri: o.uri,
      connect,
      logger: this.log,
      minDelayMs: o.reconnect?.minDelayMs,
      maxDelayMs: o.reconnect?.maxDelayMs,
      onDomainEvent: (e) => {
        const ev = this.transitions.toDriverEvent(e, (u) => this.idOf(u));
        if (ev) this.hub.emit(ev);
      },
      onHealth: (healthy, message) => {
        if (healthy) for (const reset of this.resets) reset();
        this.hub.emit({ type: "connection", healthy, message });
      },
    });
  }

  /** Registers a cache of one connection's facts to drop when a new connection is made. */
  onNewConnection(reset: () => void): void {
    this.resets.push(reset);
  }

  async conn(): Promise<Connection> {
    if (this.closed) throw new AppError("BACKEND_UNAVAILABLE", "the VM driver is closed");
    try {
      return await this.link.get();
    } catch (e) {
      throw new AppError("BACKEND_UNAVAILABLE", `libvirt is not reachable at ${this.uri}`, {
        cause: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** libvirt errors → AppError; a lost connection also tells the link to reconnect. */
  fail(e: unknown, what: string, id?: string): AppError {
    if (e instanceof AppError) return e;
    if (isNoDomain(e) && id) return notFound("vm", id);
    if (isOperationInvalid(e)) return invalidState(`cannot ${what}: ${(e as Error).message}`);
    if (isConnectionError(e)) {
      this.link.lost((e as Error).message);
      return new AppError("BACKEND_UNAVAILABLE", `lost the connection to libvirt while trying to ${what}`);
    }
    if (isLibvirtError(e)) {
      this.log.warn({ code: e.code, domain: e.domain, err: e.message, what }, "libvirt call failed");
      return new AppError("INTERNAL", `libvirt could not ${what}: ${e.message}`, { code: e.codeName });
    }
    this.log.error({ err: e instanceof Error ? e.stack : String(e), what }, "VM driver failure");
    return new AppError("INTERNAL", `could not ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** The domain uuid of a guest id of this host; NOT_FOUND for anything else. */
  uuidOf(id: string): string {
    const p = parseGuestId(id);
    if (!p || p.kind !== "vm" || p.hostId !== this.hostId || !UUID_RE.test(p.uuid)) throw notFound("vm", id);
    return p.uuid;
  }

  idOf(uuid: string): string {
    return makeGuestId(this.hostId, "vm", uuid);
  }

  /** Runs fn with a freshly looked-up domain handle and frees it afterwards. */
  async withDomain<T>(id: string, what: string, fn: (d: Domain, c: Connection) => Promise<T>): Promise<T> {
    const uuid = this.uuidOf(id);
    const c = await this.conn();
    let dom: Domain;
    try {
      dom = await c.lookupDomainByUUID(uuid);
    } catch (e) {
      throw this.fail(e, what, id);
    }
    try {
      return await fn(dom, c);
    } catch (e) {
      throw this.fail(e, what, id);
    } finally {
      dom.free();
    }
  }

  /** CONFLICT when a domain answers to `lookup` (a name or uuid taken). */
  async refuseTaken(lookup: () => Promise<Domain>, what: string, message: string): Promise<void> {
    let taken = false;
    try {
      (await lookup()).free();
      taken = true;
    } catch (e) {
      if (!isNoDomain(e)) throw this.fail(e, what);
    }
    if (taken) throw new AppError("CONFLICT", message);
  }

  /** Who the daemon runs QEMU as (its DAC base label), read once per connection; null: root or remote. */
  qemu(c: Connection): Promise<QemuIdentity | null> {
    if (!this.isLocalUri()) return Promise.resolve(null);
    this.qemuUser ??= c
      .getCapabilities()
      .then(qemuIdentity)
      .catch((e: unknown) => {
        this.qemuUser = null;
        throw this.fail(e, "read the host's capabilities");
      });
    return this.qemuUser;
  }

  /** A URI without a host: the domain's files (logs, disks) are on this machine. */
  isLocalUri(): boolean {
    try {
      return new URL(this.uri).host === "";
    } catch {
      return false;
    }
  }

  isLocalSystemUri(): boolean {
    return /^qemu:\/\/\/system$/.test(this.uri);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.link.close();
  }
}
