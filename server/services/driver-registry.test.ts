import { describe, expect, it } from "vitest";
import { FakeDriver } from "../drivers/fake/fake-driver";
import { canSnapshot } from "../domain/driver";
import { DriverRegistry } from "./driver-registry";
import { GuestLocks } from "./guest-locks";

describe("DriverRegistry", () => {
  const local = new FakeDriver({ kind: "vm", hostId: "local" });
  const remote = new FakeDriver({ kind: "vm", hostId: "far" });
  const r = new DriverRegistry("local");
  r.register("local", local);
  r.register("far", remote);

  it("finds drivers by (host, kind) and by guest id, one backend of a kind per host", () => {
    expect(r.forKind("vm")).toBe(local);
    expect(r.forKind("vm", "far")).toBe(remote);
    expect(r.forGuest("far.vm.abc")).toBe(remote);
    expect(r.forGuest("local.vm.abc")).toBe(local);
    expect(() => r.register("local", new FakeDriver({ kind: "vm", hostId: "local" }))).toThrow(/already registered/);
  });

  it("answers BACKEND_UNAVAILABLE for a kind without a backend and NOT_FOUND for ids no backend owns", () => {
    expect(() => r.forKind("container")).toThrow(expect.objectContaining({ code: "BACKEND_UNAVAILABLE" }));
    for (const id of ["local.container.abc", "elsewhere.vm.abc", "not-an-id"]) {
      expect(() => r.forGuest(id)).toThrow(expect.objectContaining({ code: "NOT_FOUND" }));
    }
  });

  it("checks a capability in one place, naming what is missing for which kind", () => {
    expect(() => r.capable("local.vm.abc", canSnapshot, "snapshots")).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST", message: "snapshots is not available for vms" }),
    );
    expect(r.capabilitiesOf("local", "container").snapshots).toBe(false);
  });
});

describe("GuestLocks", () => {
  it("refuses a second claim with CONFLICT until the first is released (release is idempotent)", () => {
    const locks = new GuestLocks();
    const release = locks.claim("g1", "web");
    expect(() => locks.claim("g1", "web")).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    const other = locks.claim("g2", "db");
    release();
    release();
    expect(locks.isBusy("g1")).toBe(false);
    expect(locks.isBusy("g2")).toBe(true);
    locks.claim("g1", "web")();
    other();
  });

  it("lets readers (clones of one source) share a guest, and keeps changing tasks out while they do", () => {
    const locks = new GuestLocks();
    const first = locks.claimShared("src", "web");
    const second = locks.claimShared("src", "web");
    expect(() => locks.claim("src", "web")).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    first();
    first();
    expect(() => locks.claim("src", "web")).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    second();
    expect(locks.isBusy("src")).toBe(false);
    const change = locks.claim("src", "web");
    expect(() => locks.claimShared("src", "web")).toThrow(expect.objectContaining({ code: "CONFLICT" }));
    change();
    locks.claimShared("src", "web")();
  });
});
