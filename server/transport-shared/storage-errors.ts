// Failures of Tandem's own storage (its data directory or database on a full or read-only file
// system) are the host's condition, not a bug: they are answered with a clear 507/503 that says
// what to fix, instead of the generic "internal error".
import { AppError } from "../domain/errors";

/** Message, code and causes of an error, as one string to match on. */
function describe(err: unknown, depth = 0): string {
  if (!err || depth > 4) return "";
  if (typeof err !== "object") return String(err);
  const e = err as { message?: unknown; code?: unknown; cause?: unknown };
  return `${String(e.message ?? "")} ${String(e.code ?? "")} ${describe(e.cause, depth + 1)}`;
}

export function storageError(err: unknown): AppError | null {
  if (err instanceof AppError) return null;
  const text = describe(err);
  if (/ENOSPC|EDQUOT|SQLITE_FULL|database or disk is full|no space left/i.test(text)) {
    return new AppError(
      "INSUFFICIENT_RESOURCES",
      "Tandem's data directory is full: free space on its file system, then try again",
    );
  }
  if (/EROFS|SQLITE_READONLY|read-only file system|readonly database/i.test(text)) {
    return new AppError(
      "BACKEND_UNAVAILABLE",
      "Tandem's data directory is read-only: nothing can be recorded until it is writable again",
    );
  }
  if (/SQLITE_IOERR|disk I\/O error|SQLITE_CANTOPEN|unable to open database/i.test(text)) {
    return new AppError("BACKEND_UNAVAILABLE", "Tandem cannot write its database (an I/O error): check its disk");
  }
  return null;
}
