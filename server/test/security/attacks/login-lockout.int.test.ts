// Attack: lock `admin` out by failing to sign in as admin. The limiter keyed failures by user
// name alone and refused that name for a minute after ten failures, from every address: anyone
// who could reach the sign-in page could keep the administrator out indefinitely.
//
// Now a failed attempt slows down the address it came from and the user name for clients the
// user has not signed in from before (an exponential delay, capped, never a lock), and a browser
// that has signed in as that user before (it holds a signed device cookie) only answers for its
// own failures.
//
// before the fix: after the attacker's 100 failures from 100 addresses, admin's correct password
// from admin's own browser was refused with 429 (Retry-After: 60), and again after every new
// burst. Seen at 86ec50a.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, startTestServer, until, type TestServer } from "../../harness";
import { httpFrom, setCookies } from "../http-from";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const login = (password: string, from: string, cookie?: string) =>
  httpFrom(server.url, {
    path: "/api/v1/session",
    body: { username: "admin", password },
    localAddress: from,
    headers: cookie ? { cookie } : {},
  });

/** 100 wrong guesses for admin, ten at a time, from 100 different addresses. */
async function attack() {
  const statuses: number[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const res = await Promise.all(
      Array.from({ length: 10 }, (_, i) => login(`guess-${batch}-${i}`, `127.0.2.${batch * 10 + i + 1}`)),
    );
    statuses.push(...res.map((r) => r.status));
  }
  expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
  return statuses;
}

describe("locking admin out", () => {
  it("admin's own browser signs in at once after 100 failed guesses by an attacker", async () => {
    // Admin has signed in from this browser before: it holds the device cookie.
    const first = await login(ADMIN_PASSWORD, "127.0.0.1");
    expect(first.status).toBe(200);
    const device = [...setCookies(first)]
      .filter(([name]) => /tandem_device$/.test(name))
      .map(([, line]) => line.split(";")[0])
      .join("; ");
    expect(device).not.toBe("");

    const statuses = await attack();
    expect(statuses).toContain(429); // the attacker was slowed down

    const again = await login(ADMIN_PASSWORD, "127.0.0.1", device);
    expect(again.status).toBe(200);
  });

  it("a browser new to admin gets in after the delay, never a lock", async () => {
    await attack();
    // A client the server has never seen sign in as admin: it may have to wait (Retry-After),
    // but the wait is bounded (30 s at most) and the correct password then works.
    const res = await until(async () => {
      const r = await login(ADMIN_PASSWORD, "127.0.3.1");
      if (r.status === 200) return r;
      expect(r.status).toBe(429);
      const wait = Number(r.headers["retry-after"]);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(30);
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      return null;
    }, 120_000);
    expect(res.status).toBe(200);
  });
});
