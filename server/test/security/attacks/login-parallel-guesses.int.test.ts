// Attack: password guesses sent in parallel all reach the password hash. The limiter checked
// before the (slow, asynchronous) scrypt and counted the failure only after it, so a burst of
// requests in flight together all passed the check.
//
// before the fix: 40 parallel wrong guesses for `admin` were all hashed and answered 401 (no
// 429 at all); 40 parallel guesses for 40 user names from one address likewise. Seen at 86ec50a.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../harness";
import { httpFrom } from "../http-from";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** Password hashes the server has run so far (its own counter; absent before the fix). */
const hashes = () => server.services.auth.hashStats?.total ?? Number.NaN;

function burst(n: number, from: string, username: (i: number) => string) {
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      httpFrom(server.url, {
        path: "/api/v1/session",
        body: { username: username(i), password: `wrong-guess-${i}` },
        localAddress: from,
      }),
    ),
  );
}

const count = (statuses: number[], s: number) => statuses.filter((x) => x === s).length;

describe("parallel password guesses", () => {
  it("40 parallel guesses for one user: no more than the user's allowance reach the hash", async () => {
    const before = hashes();
    const res = await burst(40, "127.0.0.11", () => "admin");
    const statuses = res.map((r) => r.status);
    // Every answer is a refusal; at most the per-user allowance (10) was actually checked.
    expect(count(statuses, 401) + count(statuses, 429)).toBe(40);
    expect(count(statuses, 401)).toBeLessThanOrEqual(10);
    expect(hashes() - before).toBeLessThanOrEqual(10);
    for (const r of res.filter((x) => x.status === 429)) {
      expect(r.json<{ error: { code: string } }>().error.code).toBe("RATE_LIMITED");
      expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    }
  });

  it("40 parallel guesses over 40 user names from one address: no more than the address's allowance", async () => {
    const before = hashes();
    const res = await burst(40, "127.0.0.12", (i) => `spray-${i}`);
    const statuses = res.map((r) => r.status);
    expect(count(statuses, 401) + count(statuses, 429)).toBe(40);
    expect(count(statuses, 401)).toBeLessThanOrEqual(20);
    expect(hashes() - before).toBeLessThanOrEqual(20);
  });
});
