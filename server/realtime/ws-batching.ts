// One write per burst on each websocket. engine.io hands its websocket transport the packets
// queued while the previous write was in flight, and ws writes each as its own frame, so a
// burst of N packets to one socket (a metrics tick's points, guest and task updates) cost N
// writev system calls; under 100 watching sockets they were the largest single cost on the
// event loop. Corking the TCP socket around the transport's send makes it one.
// A burst was still cut in two or more: engine.io hands the transport the first packet at once
// (the transport is idle) and the rest only after that write's callback, and every broadcast
// arriving while the socket is idle (each action's task:update and guest:upsert go to all sockets)
// was a write of its own to every socket. So the connection's flush is deferred to the end of the
// event-loop turn (setImmediate): everything queued for a socket in one turn is one write.
// This reaches into engine.io's socket (`flush`) and transport (`send`) and ws's TCP socket
// (`_socket`): all are checked before use, and without them sending works as before.
import type { Socket as NetSocket } from "node:net";

interface CorkableTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: NetSocket };
  __batched?: true;
}

interface EngineConnection {
  transport: CorkableTransport;
  flush?: () => void;
  on(event: "upgrade", fn: (transport: CorkableTransport) => void): void;
}

/** Coalesces a websocket connection's flushes within one event-loop turn into one. */
function deferFlush(conn: EngineConnection): void {
  if (typeof conn.flush !== "function") return;
  const flush = conn.flush.bind(conn);
  let scheduled = false;
  conn.flush = () => {
    // Polling answers a waiting request: nothing to coalesce there.
    if (conn.transport?.name !== "websocket") return flush();
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush(); // engine.io's own checks: a connection closed meanwhile sends nothing
    });
  };
}

function batch(transport: CorkableTransport): void {
  if (transport.name !== "websocket" || transport.__batched || typeof transport.send !== "function") return;
  const send = transport.send.bind(transport);
  transport.__batched = true;
  transport.send = (packets) => {
    const raw = transport.socket?._socket;
    if (packets.length < 2 || !raw || typeof raw.cork !== "function") return send(packets);
    raw.cork();
    try {
      send(packets);
    } finally {
      raw.uncork();
    }
  };
}

/** Batches each websocket's bursts, now and after a polling connection upgrades. */
export function batchWebsocketWrites(conn: EngineConnection): void {
  deferFlush(conn);
  batch(conn.transport);
  conn.on("upgrade", batch);
}
