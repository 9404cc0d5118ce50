// socket.io on the one port: the handshake is authenticated by the same session cookie (or a
// bearer token in `auth.token`), every event is role-checked and zod-validated, and every ack
// is a Result. Guests, tasks and metrics are fanned out to rooms the browser joins.
// Rights are re-read on every event: the live-connection registry ends the socket when its
// session, token or user is revoked, ends its consoles when the role no longer allows them, and
// keeps `principal.role` current, so a demoted operator's socket carries on as a viewer's.
// Under load the fan-out degrades gracefully: each broadcast is encoded once (rooms), a burst
// to one socket is one write (ws-batching.ts), a guest:upsert identical to the last one sent
// for that guest is not sent again, and a socket still behind on earlier packets skips a
// tick's metric points (the next tick brings the latest) instead of queueing without bound.
import { randomUUID } from "node:crypto";
import type { Server as HttpServer } from "node:http";
import type { Logger } from "pino";
import { Server, type Socket } from "socket.io";
import type { z } from "zod";
import { hasRole } from "../contract/auth";
import {
  ConsoleClosePayload,
  ConsoleInputPayload,
  ConsoleOpenPayload,
  ConsoleResizePayload,
  GuestActionPayload,
  MetricsSubscribePayload,
  eventRoles,
  type ClientToServerEvents,
  type GuestSummaryPoint,
  type ServerToClientEvents,
} from "../contract/events";
import type { MetricPoint } from "../contract/metrics";
import type { Result } from "../contract/result";
import type { ConsoleStream } from "../domain/driver";
import { AppError, isAppError } from "../domain/errors";
import { SESSION_COOKIE, type Principal } from "../services/auth-service";
import type { Services } from "../services";
import { describeIssues } from "../transport-shared/zod-issues";
import { storageError } from "../transport-shared/storage-errors";
import { readCookie } from "../transport-shared/connection";
import { isWellFormedDeep } from "../transport-shared/unicode";
import { sameOrigin } from "./origin";
import { batchWebsocketWrites } from "./ws-batching";

type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { principal: Principal }>;
export type Io = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, { principal: Principal }>;

const OVERVIEW = "overview";
const AUTHED = "authed";
const guestRoom = (id: string) => `metrics:${id}`;
const MAX_CONSOLES_PER_SOCKET = 8;
/**
 * Packets waiting in a socket's engine.io buffer past which it skips a tick's metric points.
 * A tick sends a socket one packet per watched guest (the protocol allows 500 subscriptions);
 * more than two ticks' worth still queued means the socket cannot keep up.
 */
const SLOW_SOCKET_BACKLOG = 1000;

export function attachSocketServer(http: HttpServer, s: Services, log: Logger) {
  const io: Io = new Server(http, {
    path: "/socket.io",
    serveClient: false,
    maxHttpBufferSize: 1e6,
    // Other upgrades on this server (the VNC proxy) are not socket.io's to close.
    destroyUpgrade: false,
    allowRequest: (req, cb) => cb(null, sameOrigin(req.headers.origin, s.clientOf(req))),
  });

  io.engine.on("connection", batchWebsocketWrites);

  io.use(async (socket, next) => {
    try {
      const { secure } = s.clientOf(socket.request);
      const cookie = readCookie(socket.request.headers.cookie, SESSION_COOKIE, secure);
      const token =
        typeof socket.handshake.auth?.token === "string" ? `Bearer ${socket.handshake.auth.token}` : undefined;
      const principal = await s.auth.resolve(token, cookie);
      if (!principal) return next(new Error("UNAUTHENTICATED"));
      socket.data.principal = principal;
      next();
    } catch (err) {
      log.warn({ err }, "socket handshake failed");
      next(new Error("UNAUTHENTICATED"));
    }
  });

  io.on("connection", (socket: IoSocket) => {
    const consoles = new Map<string, ConsoleStream>();
    const principal = socket.data.principal;
    const actor = { userId: principal.userId, username: principal.username };
    // Revoked (signed out, password changed, token revoked, user deleted, expired): drop the
    // connection; the disconnect handler below closes its consoles.
    const untrack = s.live.track(principal, "viewer", (reason) => {
      log.info({ user: principal.username, reason }, "socket ended: credentials revoked");
      socket.disconnect(true);
    });
    if (socket.disconnected) return;
    void socket.join(AUTHED);

    /** Role check + validation + Result ack around a handler; never throws to socket.io. */
    function handle<S extends z.ZodType, T>(
      event: keyof ClientToServerEvents,
      schema: S | null,
      fn: (payload: z.output<S>) => Promise<T>,
    ) {
      return async (...args: unknown[]) => {
        const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (r: Result<T>) => void) : null;
        const reply = (r: Result<T>) => ack?.(r);
        try {
          if (!hasRole(principal.role, eventRoles[event])) {
            throw new AppError("FORBIDDEN", `${event} needs the ${eventRoles[event]} role`);
          }
          let payload: z.output<S> = undefined as z.output<S>;
          if (schema) {
            if (!isWellFormedDeep(args[0])) {
              throw new AppError("VALIDATION", `invalid ${event} payload: a string is not valid Unicode`);
            }
            const r = schema.safeParse(args[0]);
            if (!r.success) throw new AppError("VALIDATION", `invalid ${event} payload: ${describeIssues(r.error)}`);
            payload = r.data;
          }
          reply({ ok: true, data: await fn(payload) });
        } catch (e) {
          if (!isAppError(e)) log.error({ err: e, event }, "socket handler failed");
          const known = isAppError(e) ? e : storageError(e);
          const err = known
            ? { code: known.code, message: known.message }
            : { code: "INTERNAL", message: "internal error" };
          reply({ ok: false, error: err });
        }
      };
    }

    socket.on(
      "guests:list",
      handle("guests:list", null, () => s.guests.list()),
    );
    socket.on(
      "guest:action",
      handle("guest:action", GuestActionPayload, (p) => s.guests.act(actor, p.id, p.action)),
    );
    socket.on(
      "metrics:subscribe",
      handle("metrics:subscribe", MetricsSubscribePayload, async (p) => {
        await socket.join(p.ids.map(guestRoom));
        return null;
      }),
    );
    socket.on(
      "metrics:unsubscribe",
      handle("metrics:unsubscribe", MetricsSubscribePayload, async (p) => {
        for (const id of p.ids) await socket.leave(guestRoom(id));
        return null;
      }),
    );
    socket.on(
      "overview:join",
      handle("overview:join", null, async () => {
        await socket.join(OVERVIEW);
        // The last minute per subject seeds the browser's sparklines on first paint.
        const seed: Record<string, GuestSummaryPoint[]> = {};
        for (const [id, points] of s.metrics.recent(60)) {
          seed[id] = points.map((p) => ({ cpuPct: p.cpuPct, memUsed: p.memUsed, memLimit: p.memLimit }));
        }
        return seed;
      }),
    );
    socket.on(
      "overview:leave",
      handle("overview:leave", null, async () => (await socket.leave(OVERVIEW), null)),
    );

    socket.on(
      "console:open",
      handle("console:open", ConsoleOpenPayload, async (p) => {
        if (consoles.size >= MAX_CONSOLES_PER_SOCKET)
          throw new AppError("CONFLICT", "too many consoles open on this connection");
        // The serial console comes with what the guest printed before anyone attached.
        const { stream, history } = await s.consoles.openTerminal(p.guestId, p.mode, { cols: p.cols, rows: p.rows });
        if (socket.disconnected) {
          // The connection went away (or was revoked) while the console was opening.
          stream.close();
          throw new AppError("CONFLICT", "the connection closed while the console was opening");
        }
        const consoleId = randomUUID();
        consoles.set(consoleId, stream);
        // Nothing may reach the browser before the ack that tells it the console id: hold
        // early output, then send the history (the boot banner a late viewer missed) and the
        // held output, in order.
        let held: Uint8Array[] | null = [];
        let untrackConsole = () => {};
        const finish = (reason: string) => {
          if (!consoles.delete(consoleId)) return;
          untrackConsole();
          socket.emit("console:closed", { consoleId, reason });
        };
        stream.onData((data) => (held ? held.push(data) : socket.emit("console:data", { consoleId, data })));
        stream.onClose(finish);
        // Consoles need the operator role (eventRoles): a demotion or a revocation closes them.
        untrackConsole = s.live.track(principal, eventRoles["console:open"], (reason) => {
          finish(reason);
          stream.close();
        });
        if (!consoles.has(consoleId))
          throw new AppError("FORBIDDEN", "your rights changed while the console was opening");
        setImmediate(() => {
          if (history?.length) socket.emit("console:data", { consoleId, data: history });
          for (const data of held ?? []) socket.emit("console:data", { consoleId, data });
          held = null;
        });
        return { consoleId };
      }),
    );
    const withConsole = (id: string, fn: (c: ConsoleStream) => void) => {
      const c = consoles.get(id);
      if (!c) throw new AppError("NOT_FOUND", `console '${id}' is not open`);
      fn(c);
    };
    socket.on(
      "console:input",
      handle("console:input", ConsoleInputPayload, async (p) =>
        withConsole(p.consoleId, (c) =>
          c.write(
            typeof p.data === "string"
              ? new TextEncoder().encode(p.data)
              : p.data instanceof Uint8Array
                ? p.data
                : new Uint8Array(p.data),
          ),
        ),
      ),
    );
    socket.on(
      "console:resize",
      handle("console:resize", ConsoleResizePayload, async (p) => withConsole(p.consoleId, (c) => c.resize(p))),
    );
    socket.on(
      "console:close",
      handle("console:close", ConsoleClosePayload, async (p) => withConsole(p.consoleId, (c) => c.close())),
    );

    socket.on("disconnect", () => {
      untrack();
      for (const c of consoles.values()) c.close();
      consoles.clear();
    });
  });

  // A guest is often published twice in a row unchanged (the driver's event and the end of the
  // task that caused it): what every browser already has is not sent to all of them again.
  const lastUpsert = new Map<string, string>();
  const unsubscribe = [
    s.bus.on("guest:upsert", (g) => {
      const json = JSON.stringify(g);
      if (lastUpsert.get(g.id) === json) return;
      lastUpsert.set(g.id, json);
      io.to(AUTHED).emit("guest:upsert", g);
    }),
    s.bus.on("guest:removed", (p) => {
      lastUpsert.delete(p.id);
      io.to(AUTHED).emit("guest:removed", p);
    }),
    s.bus.on("task:update", (t) => io.to(AUTHED).emit("task:update", t)),
  ];

  /** Called by the sampler with each tick's points: one emit per non-empty room. */
  function publishPoints(points: Map<string, MetricPoint>) {
    const rooms = io.sockets.adapter.rooms;
    // Sockets still behind skip this tick; the room emit is encoded once for all the others.
    const behind: string[] = [];
    for (const socket of io.sockets.sockets.values()) {
      if (backlog(socket) > SLOW_SOCKET_BACKLOG) behind.push(socket.id);
    }
    if (behind.length) {
      log.debug({ sockets: behind.length }, "metric points skipped for sockets behind on earlier packets");
    }
    const to = (room: string) => (behind.length ? io.to(room).except(behind) : io.to(room));
    if (rooms.get(OVERVIEW)?.size) {
      const guests: Record<string, GuestSummaryPoint> = {};
      for (const [id, p] of points) guests[id] = { cpuPct: p.cpuPct, memUsed: p.memUsed, memLimit: p.memLimit };
      to(OVERVIEW).emit("metrics:overview", { t: Date.now(), guests });
    }
    for (const [id, point] of points) {
      if (rooms.get(guestRoom(id))?.size) to(guestRoom(id)).emit("metrics:point", { id, point });
    }
  }

  return {
    io,
    publishPoints,
    connectedClients: () => io.engine.clientsCount,
    close: () => {
      unsubscribe.forEach((u) => u());
      return new Promise<void>((r) => io.close(() => r()));
    },
  };
}

/** Packets engine.io holds for a socket, not yet handed to its transport (0 if unknown). */
function backlog(socket: IoSocket): number {
  const buffer = (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer;
  return Array.isArray(buffer) ? buffer.length : 0;
}
