// For unit tests of pure checks: how a call was refused ("CODE: message"), or "accepted".
import { AppError } from "../../../../domain/errors";

export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof AppError ? `${e.code}: ${e.message}` : String(e);
  }
  return "accepted";
}
