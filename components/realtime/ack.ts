// Socket acks as promises: resolves with the data of an ok Result, rejects with AckError.
import type { Ack, ErrorCode, Result } from "@/server/contract";

export class AckFailure extends Error {
  constructor(
    /** The server's code, or TIMEOUT when it never answered. */
    readonly code: ErrorCode | "TIMEOUT",
    message: string,
  ) {
    super(message);
  }
}

/** `await ackOf<Guest[]>((ack) => socket.emit("guests:list", ack))` */
export function ackOf<T>(send: (ack: Ack<T>) => void, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new AckFailure("TIMEOUT", "Tandem did not answer in time")), timeoutMs);
    send((r: Result<T>) => {
      clearTimeout(timer);
      if (r.ok) resolve(r.data);
      else reject(new AckFailure(r.error.code as ErrorCode, r.error.message));
    });
  });
}
