// The error and result shapes every REST response and socket ack uses.
import { z } from "zod";
import { ErrorCode } from "./errors";

export const ApiErrorBody = z.object({
  error: z.object({ code: ErrorCode, message: z.string() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** `code` is an ErrorCode (./errors); typed as a string where the browser also makes its own. */
export type AckError = { code: string; message: string };
export type Result<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type Ack<T> = (result: Result<T>) => void;

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: string, message: string): Result<never> => ({ ok: false, error: { code, message } });
