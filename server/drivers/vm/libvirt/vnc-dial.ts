// Connecting to a VM's VNC server (a unix socket, or a loopback port for domains made outside
// Tandem): resolves with the connected socket, or an AppError within a bounded time — a stale
// socket file or a dead QEMU must not leave the browser's upgrade hanging.
import type { Socket } from "node:net";
import { AppError } from "../../../domain/errors";

export function dial(open: () => Socket, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = open();
    const fail = (why: string) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new AppError("BACKEND_UNAVAILABLE", `cannot reach the VM's VNC server: ${why}`));
    };
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    const onError = (e: NodeJS.ErrnoException) => fail(e.code ?? e.message);
    sock.once("error", onError);
    sock.once("connect", () => {
      clearTimeout(timer);
      sock.off("error", onError);
      // A later error always ends in "close", which the stream's owner handles.
      sock.on("error", () => undefined);
      resolve(sock);
    });
  });
}
