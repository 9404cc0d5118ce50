// LibvirtError (what every failed libvirt call rejects with, built by the addon through the
// factory the loader installs) and the predicates callers branch on. Numbers are libvirt's own,
// from error-codes.gen.ts.
import { ErrorCode, ErrorDomain } from "./error-codes.gen";

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));
const domainNames = new Map<number, string>(Object.entries(ErrorDomain).map(([k, v]) => [v, k]));

/** An error reported by libvirt, with libvirt's own numbers (virErrorNumber, virErrorDomain). */
export class LibvirtError extends Error {
  override readonly name = "LibvirtError";
  constructor(
    /** virErrorNumber, e.g. 42 = NO_DOMAIN; -1 for failures outside libvirt. */
    readonly code: number,
    /** virErrorDomain: which part of libvirt reported it (10 = QEMU, 7 = RPC, ...). */
    readonly domain: number,
    message: string,
    /** 1 = warning, 2 = error. */
    readonly level = 2,
    readonly str1 = "",
    readonly int1 = 0,
  ) {
    super(message);
  }
  /** Symbolic name of `code`, e.g. "NO_DOMAIN". */
  get codeName(): string {
    return codeNames.get(this.code) ?? (this.code === -1 ? "SYSTEM" : `UNKNOWN_${this.code}`);
  }
  get domainName(): string {
    return domainNames.get(this.domain) ?? `UNKNOWN_${this.domain}`;
  }
}

export function isLibvirtError(e: unknown): e is LibvirtError {
  return e instanceof LibvirtError;
}
const hasCode = (e: unknown, ...codes: number[]) => isLibvirtError(e) && codes.includes(e.code);
export const isNoDomain = (e: unknown) => hasCode(e, ErrorCode.NO_DOMAIN);
export const isNoNetwork = (e: unknown) => hasCode(e, ErrorCode.NO_NETWORK);
export const isNoStoragePool = (e: unknown) => hasCode(e, ErrorCode.NO_STORAGE_POOL);
export const isNoStorageVol = (e: unknown) => hasCode(e, ErrorCode.NO_STORAGE_VOL);
export const isNoSnapshot = (e: unknown) => hasCode(e, ErrorCode.NO_DOMAIN_SNAPSHOT);
/** The domain's state refuses the call (e.g. suspend a shut-off domain). */
export const isOperationInvalid = (e: unknown) => hasCode(e, ErrorCode.OPERATION_INVALID);
/**
 * The connection to libvirtd is gone (daemon restarted, socket closed, keepalive timeout). A
 * SYSTEM_ERROR counts only when the RPC layer reports it: the same code also means "cannot
 * access a file" from a driver.
 */
const rpcDomains: readonly number[] = [ErrorDomain.RPC, ErrorDomain.REMOTE];
export const isConnectionError = (e: unknown) =>
  hasCode(e, ErrorCode.NO_CONNECT, ErrorCode.INVALID_CONN, ErrorCode.RPC) ||
  (isLibvirtError(e) && e.code === ErrorCode.SYSTEM_ERROR && rpcDomains.includes(e.domain)) ||
  (e instanceof Error && e.message === "connection is closed");
