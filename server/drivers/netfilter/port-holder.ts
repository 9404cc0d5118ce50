// Holds the host ports that guests publish (a container's published ports, a port forward to a
// VM or container on a Tandem network): for as long as a guest publishes a port,
// Tandem keeps a socket bound to it on the wildcard address (what docker-proxy and conmon's port
// reservation do). A port something on the host already uses cannot be bound, so it is refused
// instead of silently shadowed by the DNAT rule, and nothing can take a held port meanwhile.
//
// The nftables DNAT only catches packets that arrive from other machines. Everyone else reaches
// the holder, which relays to the container like docker-proxy: local processes (there is no DNAT
// in the output hook: it would capture connections to whatever the host runs on that port), other
// containers on the bridge, IPv6 clients. TCP: accept → connect to ip:guestPort → pipe both
// ways. UDP: one upstream socket per client address, dropped after a minute of silence.
import dgram from "node:dgram";
import net from "node:net";

export type Protocol = "tcp" | "udp";

export interface HeldPort {
  protocol: Protocol;
  hostPort: number;
  guestPort: number;
  /** Where the relay sends clients; null while the container has no address yet (relay refuses). */
  ip: string | null;
}

interface Target {
  ip: string | null;
  guestPort: number;
}

/** Idle UDP flows are dropped after this long (docker-proxy uses 90 s). */
const UDP_IDLE_MS = 60_000;
/** At most this many UDP client flows per port (each is one socket). */
const UDP_MAX_FLOWS = 256;

export const portKey = (p: { protocol: Protocol; hostPort: number }) => `${p.protocol}/${p.hostPort}`;

/** Binds `[::]` dual-stack when the host has IPv6 (both families held at once), else 0.0.0.0. */
function listenTcp(port: number, target: Target): Promise<{ server: net.Server; conns: Set<net.Socket> }> {
  const conns = new Set<net.Socket>();
  const attempt = (host: string) =>
    new Promise<{ server: net.Server; conns: Set<net.Socket> }>((resolve, reject) => {
      const server = net.createServer({ allowHalfOpen: true }, (client) => {
        conns.add(client);
        client.on("close", () => conns.delete(client));
        relayTcp(client, target);
      });
      server.once("error", reject);
      server.listen({ port, host, ipv6Only: false, exclusive: true }, () => {
        server.off("error", reject);
        server.on("error", () => undefined);
        resolve({ server, conns });
      });
    });
  return attempt("::").catch((e: NodeJS.ErrnoException) =>
    e.code === "EAFNOSUPPORT" || e.code === "EADDRNOTAVAIL" ? attempt("0.0.0.0") : Promise.reject(e),
  );
}

function relayTcp(client: net.Socket, target: Target): void {
  client.on("error", () => client.destroy());
  if (!target.ip) {
    client.destroy();
    return;
  }
  const upstream = net.connect({ host: target.ip, port: target.guestPort, allowHalfOpen: true });
  upstream.on("error", () => {
    upstream.destroy();
    client.destroy();
  });
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
  // pipe() ends the other side's write half on end: half-closes (HTTP/1.0 clients) pass through.
  client.pipe(upstream);
  upstream.pipe(client);
}

function bindUdp(port: number, target: Target): Promise<dgram.Socket> {
  const attempt = (type: "udp6" | "udp4", address: string) =>
    new Promise<dgram.Socket>((resolve, reject) => {
      const sock = dgram.createSocket({ type, ipv6Only: false });
      sock.once("error", reject);
      sock.bind({ port, address, exclusive: true }, () => {
        sock.off("error", reject);
        sock.on("error", () => undefined);
        relayUdp(sock, target);
        resolve(sock);
      });
    });
  return attempt("udp6", "::").catch((e: NodeJS.ErrnoException) =>
    e.code === "EAFNOSUPPORT" || e.code === "EADDRNOTAVAIL" ? attempt("udp4", "0.0.0.0") : Promise.reject(e),
  );
}

function relayUdp(sock: dgram.Socket, target: Target): void {
  const flows = new Map<string, { up: dgram.Socket; timer: NodeJS.Timeout }>();
  const drop = (key: string) => {
    const f = flows.get(key);
    if (!f) return;
    clearTimeout(f.timer);
    f.up.close();
    flows.delete(key);
  };
  sock.on("close", () => {
    for (const key of [...flows.keys()]) drop(key);
  });
  sock.on("message", (msg, rinfo) => {
    if (!target.ip) return;
    const key = `${rinfo.address}|${rinfo.port}`;
    let flow = flows.get(key);
    if (!flow) {
      if (flows.size >= UDP_MAX_FLOWS) return;
      const up = dgram.createSocket("udp4");
      up.on("error", () => drop(key));
      const from = target.ip;
      up.on("message", (reply, r) => {
        // Only the container's answers go back to the client.
        if (r.address !== from || r.port !== target.guestPort) return;
        sock.send(reply, rinfo.port, rinfo.address);
        flow?.timer.refresh();
      });
      flow = { up, timer: setTimeout(() => drop(key), UDP_IDLE_MS).unref() };
      flows.set(key, flow);
    } else {
      flow.timer.refresh();
    }
    flow.up.send(msg, target.guestPort, target.ip);
  });
}

interface Holder {
  target: Target;
  close(): void;
}

export class PortHolder {
  private readonly held = new Map<string, Holder>();

  isHeld(p: { protocol: Protocol; hostPort: number }): boolean {
    return this.held.has(portKey(p));
  }

  /**
   * Binds the port (or re-targets a port already held). Rejects with the bind error: EADDRINUSE
   * when something on the host uses it.
   */
  async hold(p: HeldPort): Promise<void> {
    const key = portKey(p);
    const have = this.held.get(key);
    if (have) {
      have.target.ip = p.ip;
      have.target.guestPort = p.guestPort;
      return;
    }
    const target: Target = { ip: p.ip, guestPort: p.guestPort };
    if (p.protocol === "tcp") {
      const { server, conns } = await listenTcp(p.hostPort, target);
      this.held.set(key, {
        target,
        close: () => {
          server.close();
          // Relayed connections belong to the publication: they end with it.
          for (const c of conns) c.destroy();
        },
      });
    } else {
      const sock = await bindUdp(p.hostPort, target);
      this.held.set(key, { target, close: () => sock.close() });
    }
  }

  /** Only binds and releases, to tell whether a port is free right now. */
  async probe(p: { protocol: Protocol; hostPort: number }): Promise<void> {
    if (this.isHeld(p)) return;
    const target: Target = { ip: null, guestPort: 0 };
    if (p.protocol === "tcp") {
      const { server } = await listenTcp(p.hostPort, target);
      await new Promise((r) => server.close(r));
    } else {
      const s = await bindUdp(p.hostPort, target);
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  release(p: { protocol: Protocol; hostPort: number }): void {
    const key = portKey(p);
    this.held.get(key)?.close();
    this.held.delete(key);
  }

  /**
   * Holds exactly `ports`: releases the others, binds the missing ones. Returns the ports that
   * could not be bound (something else took them), with the reason.
   */
  async sync(ports: HeldPort[]): Promise<{ port: HeldPort; error: NodeJS.ErrnoException }[]> {
    const wanted = new Set(ports.map(portKey));
    for (const key of [...this.held.keys()]) {
      if (!wanted.has(key)) {
        this.held.get(key)!.close();
        this.held.delete(key);
      }
    }
    const failed: { port: HeldPort; error: NodeJS.ErrnoException }[] = [];
    for (const p of ports) {
      try {
        await this.hold(p);
      } catch (e) {
        failed.push({ port: p, error: e as NodeJS.ErrnoException });
      }
    }
    return failed;
  }

  closeAll(): void {
    for (const h of this.held.values()) h.close();
    this.held.clear();
  }
}
