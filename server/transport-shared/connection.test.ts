import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientOf, readCookie, trustedProxies } from "./connection";

function req(peer: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress: peer, encrypted }, headers } as unknown as IncomingMessage;
}

describe("trusted proxies", () => {
  it("parses addresses and CIDR ranges, and refuses anything else", () => {
    expect(() => trustedProxies(["10.0.0.1", "192.168.0.0/16", "fd00::/8", "::1"])).not.toThrow();
    for (const bad of ["example.com", "10.0.0.0/33", "10.0.0.1/8/1", "fd00::/129", ""]) {
      expect(() => trustedProxies([bad]), bad).toThrow(/TANDEM_TRUSTED_PROXIES/);
    }
  });
});

describe("clientOf", () => {
  const proxies = trustedProxies(["10.0.0.0/24"]);
  it("believes nothing a peer that is not a trusted proxy says", () => {
    const forged = req("203.0.113.9", { host: "tandem.local", "x-forwarded-host": "evil.example" });
    expect(clientOf(forged, proxies).host).toBe("tandem.local");
    const c = clientOf(req("203.0.113.9", { "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https" }), proxies);
    expect(c).toEqual({ address: "203.0.113.9", secure: false, host: undefined });
  });
  it("takes the client address and proto a trusted proxy added", () => {
    const c = clientOf(
      req("::ffff:10.0.0.2", {
        host: "127.0.0.1:8080",
        "x-forwarded-for": "1.2.3.4",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "tandem.example",
      }),
      proxies,
    );
    expect(c).toEqual({ address: "1.2.3.4", secure: true, host: "tandem.example" });
  });
  it("walks a chain of trusted proxies, stops at the first untrusted hop", () => {
    const c = clientOf(req("10.0.0.2", { "x-forwarded-for": "6.6.6.6, 1.2.3.4, 10.0.0.7" }), proxies);
    expect(c.address).toBe("1.2.3.4");
  });
  it("stops at a malformed entry (keys on the proxy rather than trust garbage)", () => {
    expect(clientOf(req("10.0.0.2", { "x-forwarded-for": "1.2.3.4, not-an-ip" }), proxies).address).toBe("10.0.0.2");
  });
  it("uses the proto the nearest proxy added (the last value)", () => {
    expect(clientOf(req("10.0.0.2", { "x-forwarded-proto": "https, http" }), proxies).secure).toBe(false);
  });
  it("a TLS socket is secure whatever the headers say", () => {
    expect(clientOf(req("203.0.113.9", { "x-forwarded-proto": "http" }, true), proxies).secure).toBe(true);
  });
});

describe("readCookie", () => {
  it("reads the __Host- name over TLS and the plain name otherwise, never the other one", () => {
    const header = "tandem_session=plain; __Host-tandem_session=host";
    expect(readCookie(header, "tandem_session", true)).toBe("host");
    expect(readCookie(header, "tandem_session", false)).toBe("plain");
    expect(readCookie("tandem_session=plain", "tandem_session", true)).toBeUndefined();
    expect(readCookie("__Host-tandem_session=host", "tandem_session", false)).toBeUndefined();
  });
});
