// The graphical console through Tandem's one port: an HTTP upgrade on /api/v1/vnc/<ticket> is
// checked (same origin, signed-in user, single-use ticket bound to that user) and then spliced
// to QEMU's own VNC websocket on 127.0.0.1. QEMU speaks the WebSocket protocol itself, so the
// proxy only forwards the upgrade request and then copies bytes both ways.
import type { IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { parse as parseCookie } from "hono/utils/cookie";
import type { Logger } from "pino";
import { hasRole } from "../contract/auth";
import { canVnc } from "../domain/driver";
import { SESSION_COOKIE } from "../services/auth-service";
import type { Services } from "../services";
import { sameOrigin } from "./origin";

export const VNC_PATH = /^\/api\/v1\/vnc\/([\w-]{16,64})$/;

function refuse(socket: Duplex, status: string) {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function handleVncUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, s: Services, log: Logger) {
  const m = VNC_PATH.exec(req.url ?? "");
  if (!m) return refuse(socket, "404 Not Found");
  try {
    if (!sameOrigin(req.headers.origin, req.headers.host)) return refuse(socket, "403 Forbidden");
    const cookie = parseCookie(req.headers.cookie ?? "")[SESSION_COOKIE];
    const principal = await s.auth.resolve(req.headers.authorization, cookie);
    if (!principal) return refuse(socket, "401 Unauthorized");
    if (!hasRole(principal.role, "operator")) return refuse(socket, "403 Forbidden");
    const guestId = s.consoleTickets.consume(m[1]!, principal.userId);
    if (!guestId) return refuse(socket, "403 Forbidden");
    const guest = await s.guests.get(guestId);
    const driver = s.guests.driverFor(guest.kind);
    if (!canVnc(driver)) return refuse(socket, "404 Not Found");
    const port = await driver.vncWebsocketPort(guestId);
    const upstream: Socket = connect(port, "127.0.0.1");
    upstream.once("connect", () => {
      // Forward the client's upgrade request as-is, minus Tandem's own credentials.
      const lines = [`GET / HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        if (/^(cookie|authorization|host)$/i.test(name)) continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`Host: 127.0.0.1:${port}`);
      upstream.write(lines.join("\r\n") + "\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
      log.info({ guestId, user: principal.username }, "vnc console opened");
    });
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.once("error", (err) => {
      log.warn({ err, guestId }, "vnc upstream failed");
      if (!socket.destroyed) refuse(socket, "502 Bad Gateway");
      upstream.destroy();
    });
    socket.once("error", close);
    socket.once("close", close);
    upstream.once("close", () => socket.destroy());
  } catch (err) {
    log.warn({ err }, "vnc upgrade refused");
    refuse(socket, "404 Not Found");
  }
}
