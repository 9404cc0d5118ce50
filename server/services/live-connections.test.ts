import { describe, expect, it } from "vitest";
import { LiveConnections } from "./live-connections";
import type { Principal } from "./principal";

let seq = 0;
function principal(over: Partial<Principal> = {}): Principal {
  return {
    userId: "u1",
    username: "alice",
    role: "operator",
    via: "session",
    sessionId: `s${++seq}`,
    expiresAt: Number.MAX_SAFE_INTEGER,
    epoch: 0,
    ...over,
  };
}

describe("LiveConnections", () => {
  it("ends the connections of a revoked session, token or user, and only those", () => {
    const live = new LiveConnections();
    const ended: string[] = [];
    const a = principal({ sessionId: "sa" });
    const b = principal({ sessionId: "sb" });
    const t = principal({ via: "token", sessionId: undefined, tokenId: "t1" });
    const other = principal({ userId: "u2", sessionId: "sc" });
    live.track(a, "viewer", () => ended.push("a"));
    live.track(b, "viewer", () => ended.push("b"));
    live.track(t, "viewer", () => ended.push("t"));
    live.track(other, "viewer", () => ended.push("other"));
    expect(live.revoke({ userId: "u1", sessionId: "sa" }, "signed out")).toBe(1);
    expect(ended).toEqual(["a"]);
    live.revoke({ userId: "u1", tokenId: "t1" }, "token revoked");
    expect(ended).toEqual(["a", "t"]);
    live.revoke({ userId: "u1" }, "user deleted");
    expect(ended).toEqual(["a", "t", "b"]);
    expect(live.size).toBe(1);
    live.close();
  });

  it("spares the session that changed its own password", () => {
    const live = new LiveConnections();
    const ended: string[] = [];
    live.track(principal({ sessionId: "keep" }), "viewer", () => ended.push("keep"));
    live.track(principal({ sessionId: "other" }), "viewer", () => ended.push("other"));
    live.revoke({ userId: "u1", via: "session", exceptSessionId: "keep" }, "password changed");
    expect(ended).toEqual(["other"]);
    live.close();
  });

  it("a role change updates the principal in place and ends what the new role may not do", () => {
    const live = new LiveConnections();
    const p = principal();
    const ended: string[] = [];
    live.track(p, "viewer", () => ended.push("socket"));
    live.track(p, "operator", () => ended.push("shell"));
    live.setRole("u1", "viewer");
    expect(p.role).toBe("viewer");
    expect(ended).toEqual(["shell"]);
    live.setRole("u1", "admin");
    expect(p.role).toBe("admin");
    expect(ended).toEqual(["shell"]);
    live.close();
  });

  it("applies a revocation that landed while the principal was being resolved", () => {
    const live = new LiveConnections();
    const p = principal({ sessionId: "late", epoch: live.epoch }); // credentials read now…
    live.revoke({ userId: "u1", sessionId: "late" }, "signed out"); // …revoked before tracking
    let reason = "";
    live.track(p, "viewer", (r) => (reason = r));
    expect(reason).toBe("signed out");
    expect(live.size).toBe(0);

    const q = principal({ epoch: live.epoch });
    live.setRole("u1", "viewer");
    let ended = false;
    live.track(q, "operator", () => (ended = true));
    expect(q.role).toBe("viewer");
    expect(ended).toBe(true);
    live.close();
  });

  it("a connection that stops by itself is no longer followed", () => {
    const live = new LiveConnections();
    let ended = false;
    const stop = live.track(principal({ sessionId: "x" }), "viewer", () => (ended = true));
    stop();
    live.revoke({ userId: "u1" }, "user deleted");
    expect(ended).toBe(false);
    live.close();
  });

  it("the sweep ends what reaches its expiry", async () => {
    let now = 1_000;
    const live = new LiveConnections(10, () => now);
    let reason = "";
    live.track(principal({ expiresAt: 2_000 }), "viewer", (r) => (reason = r));
    await new Promise((r) => setTimeout(r, 30));
    expect(reason).toBe("");
    now = 2_000;
    const deadline = Date.now() + 5_000;
    while (!reason && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(reason).toBe("expired");
    live.close();
  });
});
