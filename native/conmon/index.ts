// Typed loader for the tandem_conmon addon: SOCK_SEQPACKET and SCM_RIGHTS for the container
// driver. Build: `bash scripts/build-native.sh`.
import { addonLoader } from "../common/load";

export interface FdStreamOptions {
  /** Keep message boundaries and cut writes into messages of at most maxMessage bytes. */
  seqpacket?: boolean;
  maxMessage?: number;
}

/** A non-blocking fd polled on Node's event loop. Owns the fd: close() closes it. */
export interface NativeFdStream {
  /** Queues data and returns the bytes still waiting for the peer (back-pressure signal). */
  write(data: Uint8Array): number;
  pending(): number;
  pause(): void;
  resume(): void;
  /** Idempotent; onEnd runs once, with null, if the stream was still open. */
  close(): void;
}

interface Addon {
  FdStream: new (
    fd: number,
    opts: FdStreamOptions,
    onData: (chunk: Buffer) => void,
    onEnd: (error: string | null) => void,
  ) => NativeFdStream;
  connectUnix(path: string, seqpacket: boolean): number;
  listenUnix(path: string): number;
  recvFd(listenFd: number, timeoutMs: number): Promise<number>;
  setWinsize(fd: number, rows: number, cols: number): void;
  closeFd(fd: number): void;
  socketPair(seqpacket: boolean): [number, number];
  sendFd(socketPath: string, fd: number): void;
  makeWhiteout(path: string): void;
  lsetxattr(path: string, name: string, value: string): void;
  lgetxattr(path: string, name: string): string | null;
}

/** Loads lazily so that importing this module never fails where the addon is not built. */
export const conmonAddon = addonLoader<Addon>(import.meta.url, "tandem_conmon");

/** Opens conmon's attach socket (SOCK_SEQPACKET). */
export function connectSeqpacket(socketPath: string): number {
  return conmonAddon().connectUnix(socketPath, true);
}

export function openFdStream(
  fd: number,
  opts: FdStreamOptions,
  onData: (chunk: Buffer) => void,
  onEnd: (error: string | null) => void,
): NativeFdStream {
  return new (conmonAddon().FdStream)(fd, opts, onData, onEnd);
}

/**
 * Listens on a unix socket for one peer that passes a file descriptor (crun's
 * --console-socket). Call before starting the peer; `receive` resolves with the fd.
 */
export function listenForFd(socketPath: string): { receive(timeoutMs: number): Promise<number>; close(): void } {
  const addon = conmonAddon();
  const listenFd = addon.listenUnix(socketPath);
  let closed = false;
  return {
    receive: (timeoutMs) => addon.recvFd(listenFd, timeoutMs),
    close() {
      if (closed) return;
      closed = true;
      addon.closeFd(listenFd);
    },
  };
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  conmonAddon().setWinsize(fd, rows, cols);
}

export function closeFd(fd: number): void {
  conmonAddon().closeFd(fd);
}

/** A connected pair of non-blocking unix sockets. */
export function socketPair(seqpacket: boolean): [number, number] {
  return conmonAddon().socketPair(seqpacket);
}

/** Passes fd to the listener at socketPath with SCM_RIGHTS (what crun's console client does). */
export function sendFd(socketPath: string, fd: number): void {
  conmonAddon().sendFd(socketPath, fd);
}

/** Creates an overlayfs whiteout (character device 0:0) at path. */
export function makeWhiteout(target: string): void {
  conmonAddon().makeWhiteout(target);
}

/** Sets an extended attribute without following symlinks (overlay's opaque marker). */
export function lsetxattr(target: string, name: string, value: string): void {
  conmonAddon().lsetxattr(target, name, value);
}

export function lgetxattr(target: string, name: string): string | null {
  return conmonAddon().lgetxattr(target, name);
}
