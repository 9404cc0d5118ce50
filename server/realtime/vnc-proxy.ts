// The graphical console through Tandem's one port: an HTTP upgrade on /api/v1/vnc/<ticket> is
// checked (same origin, signed-in user, single-use ticket bound to that user); then the console
// service has the driver open the VM's VNC server (a unix socket only root and QEMU's user reach — no TCP port), Tandem
// completes the WebSocket handshake itself (ws, noServer) and copies binary frames to and from
// that RFB stream, with back-pressure both ways. Nothing of the browser's request (cookies,
// headers) reaches QEMU.
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import type { Logger } from "pino";
import { hasRole } from "../contract/auth";
import { isAppError } from "../domain/errors";
import { SESSION_COOKIE } from "../services/auth-service";
import type { Services } from "../services";
import { readCookie } from "../transport-shared/connection";
import { sameOrigin } from "./origin";

export const VNC_PATH = /^\/api\/v1\/vnc\/([\w-]{16,64})$/;

function refuse(socket: Duplex, status: string) {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** One handshake-only server for every console; RFB frames are small, compression buys nothing. */
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });

/** Bytes queued towards the browser before the VNC side is paused (a slow viewer). */
const HIGH_WATER = 4 << 20;

const bytesOf = (d: RawData): Buffer =>
  Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d as ArrayBuffer);

/**
 * Copies frames both ways until either side ends; ending one side ends the other. Returns the
 * function that ends both (a revoked session).
 */
function bridge(ws: WebSocket, vnc: Duplex, onEnd: (why: string) => void): (why: string) => void {
  let ended = false;
  const end = (why: string) => {
    if (ended) return;
    ended = true;
    vnc.destroy();
    if (ws.readyState === ws.OPEN) ws.close(1000, why.slice(0, 100));
    else ws.terminate();
    onEnd(why);
  };
  vnc.on("data", (chunk: Buffer) => {
    ws.send(chunk, { binary: true }, () => {
      if (vnc.isPaused() && ws.bufferedAmount < HIGH_WATER / 2) vnc.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER) vnc.pause();
  });
  ws.on("message", (data) => {
    if (!vnc.write(bytesOf(data))) {
      ws.pause();
      vnc.once("drain", () => ws.resume());
    }
  });
  vnc.once("close", () => end("the VM's VNC server closed the connection"));
  ws.once("close", () => end("the viewer closed the connection"));
  ws.on("error", () => end("the viewer's connection failed"));
  return end;
}

/** The HTTP answer when the VM's VNC server could not be opened (unknown guest, no VNC: 404). */
function statusOf(err: unknown): string {
  if (isAppError(err) && (err.code === "INVALID_STATE" || err.code === "CONFLICT")) return "409 Conflict";
  if (isAppError(err) && err.code === "BACKEND_UNAVAILABLE") return "502 Bad Gateway";
  return "404 Not Found";
}

export async function handleVncUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, s: Services, log: Logger) {
  const m = VNC_PATH.exec(req.url ?? "");
  if (!m) return refuse(socket, "404 Not Found");
  try {
    if (!sameOrigin(req.headers.origin, s.clientOf(req))) return refuse(socket, "403 Forbidden");
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE, s.clientOf(req).secure);
    const principal = await s.auth.resolve(req.headers.authorization, cookie);
    if (!principal) return refuse(socket, "401 Unauthorized");
    if (!hasRole(principal.role, "operator")) return refuse(socket, "403 Forbidden");
    const guestId = s.consoleTickets.consume(m[1]!, principal.userId);
    if (!guestId) return refuse(socket, "403 Forbidden");
    let vnc: Duplex;
    try {
      vnc = await s.consoles.openVnc(guestId);
    } catch (err) {
      log.warn({ err, guestId }, "vnc server not reachable");
      return refuse(socket, statusOf(err));
    }
    if (socket.destroyed) {
      vnc.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      log.info({ guestId, user: principal.username }, "vnc console opened");
      let untrack = () => {};
      const end = bridge(ws, vnc, (why) => {
        untrack();
        log.info({ guestId, user: principal.username, why }, "vnc console closed");
      });
      // A revoked session, token, demotion below operator or deletion ends the screen too.
      untrack = s.live.track(principal, "operator", (reason) => end(`credentials revoked: ${reason}`));
    });
    // A handshake ws refused (bad key or version) answers 400 and closes the socket.
    socket.once("close", () => {
      if (!vnc.destroyed && socket.destroyed) vnc.destroy();
    });
  } catch (err) {
    log.warn({ err }, "vnc upgrade refused");
    refuse(socket, "404 Not Found");
  }
}
