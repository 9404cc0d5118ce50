// Application errors with a stable code; the HTTP layer maps codes to statuses and the socket
// layer to `{ok:false,error}` acks. Messages are safe to show to users; details go to the log.
// The codes themselves are the contract's (server/contract/errors.ts): the browser reads them too.
import type { ErrorCode } from "../contract/errors";

export type { ErrorCode };

/** The HTTP status of each code; `satisfies` makes a code added to the contract fail here until mapped. */
export const errorStatus = {
  BAD_REQUEST: 400,
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INSUFFICIENT_RESOURCES: 507,
  BACKEND_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<ErrorCode, number>;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "AppError";
  }
  get status(): number {
    return errorStatus[this.code];
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

export const notFound = (what: string, id: string) => new AppError("NOT_FOUND", `${what} '${id}' was not found`);
export const invalidState = (message: string) => new AppError("INVALID_STATE", message);
