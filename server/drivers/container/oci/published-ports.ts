// Published ports and address pins follow the records: the ports of containers wanted running
// are held (from create on, through restarts, until stop or remove) and forwarded, every
// container with an address is pinned to it. A port the host already uses is refused (CONFLICT)
// when a container would start with it, and logged (once) when something took it meanwhile.
import { AppError } from "../../../domain/errors";
import type { Logger } from "../../../domain/logger";
import { macFor, vethName, type Network, type NetworkRules, type PortFailure } from "./network";
import type { ContainerRecord } from "./record";

export class PublishedPorts {
  private lastFailures = "";
  /** Containers being removed: their ports and pin go before their record does. */
  private readonly leaving = new Set<string>();

  constructor(
    private readonly network: Network,
    private readonly records: () => ContainerRecord[],
    private readonly log: Logger,
    /** Tandem's own port: never published, whatever an older record says. */
    private readonly tandemPort?: number,
  ) {}

  /** What the network filters and the port holder are made of. */
  rules(): NetworkRules {
    const rules: NetworkRules = { ports: [], pins: [] };
    for (const rec of this.records()) {
      if (this.leaving.has(rec.uuid)) continue;
      const ip = rec.network.mode === "bridge" ? rec.network.ip : null;
      if (ip) rules.pins.push({ veth: vethName(rec.uuid), ip, mac: macFor(ip) });
      if (rec.desired !== "running") continue;
      // Tandem's own port may be in a record made before it was refused, or Tandem moved.
      for (const p of rec.ports) if (p.hostPort !== this.tandemPort) rules.ports.push({ ...p, ip });
    }
    return rules;
  }

  /**
   * A container being removed (its process gone) loses its held ports, forwards and pin now, so
   * the table rewrite runs beside the unmounts instead of after them. Until `left`, the record
   * does not count for the rules even while it still exists.
   */
  leave(uuid: string): Promise<PortFailure[]> {
    this.leaving.add(uuid);
    return this.sync();
  }

  /** The removal is over: the record is gone, or stays after a failure (and counts again). */
  left(uuid: string): void {
    this.leaving.delete(uuid);
  }

  /** Held ports and tables follow the records; ports something else took are logged (once). */
  async sync(): Promise<PortFailure[]> {
    const failed = await this.network.sync(() => this.rules());
    const summary = failed.map((f) => `${f.port.protocol}/${f.port.hostPort}: ${f.error.code}`).join(", ");
    if (summary && summary !== this.lastFailures) {
      this.log.error({ ports: summary }, "published ports in use on the host are not forwarded");
    }
    this.lastFailures = summary;
    return failed;
  }

  /**
   * Holds a container's published ports and writes its pin before its process runs; a port the
   * host already uses is refused (CONFLICT) instead of shadowed. Only probes when not running.
   */
  async publish(rec: ContainerRecord): Promise<void> {
    const conflict = (p: { protocol: string; hostPort: number }, e: NodeJS.ErrnoException) =>
      new AppError(
        "CONFLICT",
        e.code === "EADDRINUSE"
          ? `host port ${p.protocol}/${p.hostPort} is in use on the host`
          : `host port ${p.protocol}/${p.hostPort} cannot be held (${e.code ?? e.message})`,
      );
    if (rec.desired !== "running") {
      for (const p of rec.ports) {
        await this.network.probePort(p).catch((e: NodeJS.ErrnoException) => {
          throw conflict(p, e);
        });
      }
      await this.sync();
      return;
    }
    const failed = await this.sync();
    const mine = failed.find((f) =>
      rec.ports.some((p) => p.protocol === f.port.protocol && p.hostPort === f.port.hostPort),
    );
    if (mine) throw conflict(mine.port, mine.error);
  }
}
