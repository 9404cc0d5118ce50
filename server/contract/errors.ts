// The stable error codes every REST error body and socket ack carries: the server raises them
// (server/domain/errors.ts maps each to its HTTP status), the browser branches on them.
import { z } from "zod";

export const errorCodes = [
  "BAD_REQUEST",
  "VALIDATION",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "CSRF",
  "NOT_FOUND",
  "CONFLICT",
  "INVALID_STATE",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
  "INSUFFICIENT_RESOURCES",
  "BACKEND_UNAVAILABLE",
  "INTERNAL",
] as const;
export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;
