// Plain async calls to the REST API: one fetch wrapper that sends the CSRF token on writes,
// turns error bodies into ApiError, and checks every answer with the contract's zod schema.
import { z } from "zod";
import type { ApiErrorBody, ErrorCode } from "@/server/contract";

// The page's CSP forbids eval; without this, zod probes `new Function` once and the browser logs
// a (harmless) CSP violation.
z.config({ jitless: true });

let csrfToken: string | null = null;
export const setCsrfToken = (t: string | null) => {
  csrfToken = t;
};
export const getCsrfToken = () => csrfToken;

/** The server's codes (contract), and the browser's own for answers that never came or made no sense. */
export type ClientErrorCode = ErrorCode | "BAD_RESPONSE" | "NETWORK" | "ABORTED" | `HTTP_${number}`;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Builds an API path with every interpolated value URI-encoded: apiPath`/guests/${id}`. */
export function apiPath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < values.length ? encodeURIComponent(String(values[i])) : ""), "");
}

/** Adds a query string, skipping undefined values. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export function errorFromBody(status: number, statusText: string, data: unknown): ApiError {
  const err = (data as ApiErrorBody | null)?.error;
  return new ApiError(status, err?.code ?? `HTTP_${status}`, err?.message ?? (statusText || `HTTP ${status}`));
}

/**
 * fetch, with one retry for a GET that never got an answer. Chromium aborts requests in flight
 * when the host's interfaces change (net::ERR_NETWORK_CHANGED), which on a Tandem host happens
 * whenever a guest's veth or a network's bridge comes or goes; a GET is safe to repeat, a write
 * is not (it may have arrived), so writes report the failure.
 */
export async function fetchOnce(
  path: string,
  init: RequestInit & { method: string },
  doFetch: typeof fetch = fetch,
): Promise<Response> {
  try {
    return await doFetch(path, init);
  } catch (e) {
    if (init.method !== "GET" || init.signal?.aborted) throw networkError(e);
    try {
      return await doFetch(path, init);
    } catch (again) {
      throw networkError(again);
    }
  }
}

const networkError = (e: unknown) =>
  e instanceof Error && e.name === "AbortError"
    ? new ApiError(0, "ABORTED", "request cancelled")
    : new ApiError(0, "NETWORK", "the server could not be reached");

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const res = await fetchOnce(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) throw errorFromBody(res.status, res.statusText, data);
  return data as T;
}

/** Like api(), but checks the answer against a schema so nothing untyped crosses in. */
export async function apiParsed<S extends z.ZodType>(
  schema: S,
  method: string,
  path: string,
  body?: unknown,
): Promise<z.output<S>> {
  const data = await api<unknown>(method, path, body);
  const r = schema.safeParse(data);
  if (!r.success) throw new ApiError(0, "BAD_RESPONSE", `unexpected answer from ${path}`);
  return r.data;
}

/** A readable sentence for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return "something went wrong";
}

export const isNotFound = (e: unknown) => e instanceof ApiError && e.status === 404;
