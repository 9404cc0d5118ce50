// Applies the host firewall for Tandem networks (render.ts) on this host: holds the forwards'
// host ports (port-holder.ts: a port something else uses is refused, local clients are relayed),
// writes both tables in one `nft -f`, turns route_localnet off on each routed bridge and
// net.ipv4.ip_forward on while a NAT network exists. Calls run one at a time, in call order.
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import type { ForwardFailure, HostFirewall, HostFirewallState } from "../../domain/host-firewall";
import { AppError } from "../../domain/errors";
import { checkIfname, checkTable } from "./nft-pieces";
import { PortHolder, portKey } from "./port-holder";
import { deleteScript, renderHostFirewall, routed } from "./render";

export interface NftHostFirewallOptions {
  /** Both tables' name (inet and bridge): `tandem_net` unless a test chooses its own. */
  table?: string;
  /** Where /proc/sys is (tests of the sysctl writes only). */
  procSys?: string;
}

function nft(input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("nft", ["-f", "-"], { timeout: 15_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      const enoent = (err as NodeJS.ErrnoException).code === "ENOENT";
      reject(
        new AppError(
          "BACKEND_UNAVAILABLE",
          enoent
            ? "nftables (nft) is not installed: it keeps guests on Tandem networks off the host's services"
            : `could not apply the Tandem networks' firewall: ${String(stderr).trim().slice(0, 400)}`,
        ),
      );
    });
    child.stdin?.end(input);
  });
}

export class NftHostFirewall implements HostFirewall {
  readonly table: string;
  private readonly procSys: string;
  private readonly holder = new PortHolder();
  private queue: Promise<unknown> = Promise.resolve();
  /** The script last applied, to skip identical rewrites (null: unknown, write). */
  private applied: string | null = null;

  constructor(opts: NftHostFirewallOptions = {}) {
    this.table = checkTable(opts.table ?? "tandem_net");
    this.procSys = opts.procSys ?? "/proc/sys";
  }

  apply(state: HostFirewallState): Promise<ForwardFailure[]> {
    const next = this.queue.then(() => this.applyNow(state));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async applyNow(state: HostFirewallState): Promise<ForwardFailure[]> {
    const failed = await this.holder.sync(
      state.forwards.map((f) => ({
        protocol: f.protocol,
        hostPort: f.hostPort,
        guestPort: f.guestPort,
        ip: f.address,
      })),
    );
    const refused = new Set(failed.map((f) => portKey(f.port)));
    const forwards = state.forwards.filter((f) => !refused.has(portKey(f)));
    // The sysctls first: a bridge must never be routed with route_localnet on, not even briefly.
    for (const n of state.networks.filter(routed))
      this.sysctl(`net/ipv4/conf/${checkIfname(n.bridge)}/route_localnet`, "0");
    // libvirt turns it on too when a forward-mode network starts; Tandem does not rely on that
    // (and never turns it off: other software on the host may need it).
    if (state.networks.some((n) => n.type === "nat")) this.sysctl("net/ipv4/ip_forward", "1");
    const script = renderHostFirewall(this.table, { ...state, forwards });
    if (script !== this.applied) {
      this.applied = null;
      await nft(script);
      this.applied = script;
    }
    return failed.map((f) => ({
      forward: state.forwards.find((x) => portKey(x) === portKey(f.port))!,
      code: f.error.code ?? "EIO",
      message: f.error.message,
    }));
  }

  /** Writes a sysctl when it differs; a bridge not (yet) there is skipped. */
  private sysctl(key: string, value: string): void {
    const file = `${this.procSys}/${key}`;
    try {
      if (readFileSync(file, "utf8").trim() !== value) writeFileSync(file, value);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }

  probePort(p: { protocol: "tcp" | "udp"; hostPort: number }): Promise<void> {
    return this.holder.probe(p);
  }

  close(): void {
    this.holder.closeAll();
  }

  async destroy(): Promise<void> {
    this.holder.closeAll();
    const next = this.queue.then(async () => {
      this.applied = null;
      await nft(deleteScript(this.table));
    });
    this.queue = next.catch(() => undefined);
    await next;
  }
}
