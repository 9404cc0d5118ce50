// One write per burst on each websocket. engine.io hands its websocket transport the packets
// queued while the previous write was in flight, and ws writes each as its own frame, so a
// burst of N packets to one socket (a metrics tick's points, guest and task updates) cost N
// writev system calls; under 100 watching sockets they were the largest single cost on the
// event loop. Corking the TCP socket around the transport's send makes it one.
// This reaches into engine.io's transport (`send`) and ws's TCP socket (`_socket`): both are
// checked before use, and without them sending works as before, one call per frame.
import type { Socket as NetSocket } from "node:net";

interface CorkableTransport {
  name: string;
  send(packets: unknown[]): void;
  socket?: { _socket?: NetSocket };
  __batched?: true;
}

interface EngineConnection {
  transport: CorkableTransport;
  on(event: "upgrade", fn: (transport: CorkableTransport) => void): void;
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
  batch(conn.transport);
  conn.on("upgrade", batch);
}
