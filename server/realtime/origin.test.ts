import { describe, expect, it } from "vitest";
import { sameOrigin } from "./origin";

describe("sameOrigin", () => {
  it("accepts the browser's own host, refuses another site", () => {
    expect(sameOrigin("http://tandem.local:8080", { host: "tandem.local:8080", secure: false })).toBe(true);
    expect(sameOrigin("http://evil.example", { host: "tandem.local:8080", secure: false })).toBe(false);
    expect(sameOrigin("not a url", { host: "tandem.local:8080", secure: false })).toBe(false);
    expect(sameOrigin(undefined, { host: "tandem.local:8080", secure: false })).toBe(true);
  });
  it("over TLS, a plain-http page of the same host is another site", () => {
    expect(sameOrigin("https://tandem.example", { host: "tandem.example", secure: true })).toBe(true);
    expect(sameOrigin("http://tandem.example", { host: "tandem.example", secure: true })).toBe(false);
  });
});
