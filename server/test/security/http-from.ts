// One HTTP(S) request from a chosen local address: the login limiter keys on the client address,
// and every 127.0.0.0/8 address reaches the server over loopback, so a test can play many
// clients (an attacker's spread of addresses, a trusted proxy, the admin's own browser).
// HTTPS requests accept the test's own self-signed certificate (`ca`).
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

export interface FromResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export function httpFrom(
  base: string,
  opts: {
    method?: string;
    path: string;
    body?: unknown;
    headers?: Record<string, string>;
    localAddress?: string;
    ca?: string | Buffer;
  },
): Promise<FromResponse> {
  const url = new URL(opts.path, base);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (payload !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  const request = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: opts.method ?? (payload === undefined ? "GET" : "POST"),
        headers,
        localAddress: opts.localAddress,
        // A fresh connection per request: the address is the connection's, not a pooled one's.
        agent: false,
        ...(url.protocol === "https:" ? { ca: opts.ca, servername: "localhost" } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(payload);
  });
}

/** The `name=value` pairs of a response's Set-Cookie headers, by name. */
export function setCookies(res: FromResponse): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers["set-cookie"] ?? []) {
    const first = line.split(";")[0] ?? "";
    const eq = first.indexOf("=");
    if (eq > 0) out.set(first.slice(0, eq), line);
  }
  return out;
}
