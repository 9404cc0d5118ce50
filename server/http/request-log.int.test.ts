// README: "logs are JSON lines with a request id". Every line the server logs at `info` parses as
// JSON, and each REST request leaves one `request` line carrying the id the response names in
// X-Request-Id, so a client's report can be matched to the server's log.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../test/harness";
import { startCustomServer, type CustomServer } from "../test/security/support";

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    cb();
  },
});
let server: CustomServer;

beforeAll(async () => {
  server = await startCustomServer({ log: pino({ level: "info" }, sink) });
});
afterAll(async () => {
  await server?.stop();
});

describe("the request log", () => {
  it("is JSON lines, one `request` line per REST call with the id the response carries", async () => {
    const admin = new Client(server.url);
    expect((await admin.login()).status).toBe(200);
    const ok = await admin.raw("GET", "/api/v1/guests");
    const missing = await admin.raw("GET", "/api/v1/guests/local.vm.nope");
    expect([ok.status, missing.status]).toEqual([200, 404]);

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = records.filter((r) => r.msg === "request");
    for (const [res, path, status] of [
      [ok, "/api/v1/guests", 200],
      [missing, "/api/v1/guests/local.vm.nope", 404],
    ] as const) {
      const id = res.headers.get("x-request-id");
      expect(id, path).toBeTruthy();
      const mine = requests.filter((r) => r.reqId === id);
      expect(mine, path).toHaveLength(1);
      expect(mine[0]).toMatchObject({ method: "GET", path, status, level: 30 });
    }
    // Two requests, two different ids.
    expect(ok.headers.get("x-request-id")).not.toBe(missing.headers.get("x-request-id"));
  });
});
