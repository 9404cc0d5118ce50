// Every failure becomes `{"error":{"code","message"}}` with the right status. Unknown errors are
// logged with their stack and answered with a generic 500 that leaks nothing.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, errorStatus, type ErrorCode } from "../domain/errors";
import { publicError } from "../domain/public-error";
import type { AppEnv } from "./route";
import { storageError } from "../transport-shared/storage-errors";

export function errorResponse(c: Context, code: ErrorCode | string, message: string, status: number): Response {
  // The rest of an oversized body (or one the disk has no room for) is never read: tell the
  // client not to reuse the connection.
  if (status === 413 || status === 507) c.header("Connection", "close");
  return c.json({ error: { code, message } }, status as 400);
}

export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof AppError) {
    if (err.code === "RATE_LIMITED") {
      const wait = (err.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      c.header("Retry-After", String(typeof wait === "number" && wait > 0 ? Math.ceil(wait) : 60));
    }
    // A backend's stderr or a host path in the message stays in the log, under the reference
    // the answer names (domain/public-error.ts); messages written for users pass unchanged.
    const shown = publicError(err);
    if (shown.ref) c.get("log")?.error({ err, ref: shown.ref }, "request failed");
    return errorResponse(c, err.code, shown.message, err.status);
  }
  if (err instanceof HTTPException) {
    const code = err.status === 413 ? "PAYLOAD_TOO_LARGE" : err.status === 404 ? "NOT_FOUND" : "BAD_REQUEST";
    return errorResponse(c, code, err.message || "bad request", err.status);
  }
  const storage = storageError(err);
  if (storage) {
    c.get("log")?.error({ err }, "storage failure");
    return errorResponse(c, storage.code, storage.message, storage.status);
  }
  c.get("log")?.error({ err }, "unhandled error");
  return errorResponse(c, "INTERNAL", "internal error; the server log has the details", errorStatus.INTERNAL);
}
