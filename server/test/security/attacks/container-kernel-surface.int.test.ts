// Attack: a container guest reaches kernel interfaces that are not namespaced or that are a
// large attack surface — io_uring (the source of many local privilege escalations; Google
// disabled it on ChromeOS and its servers), the kernel keyrings (shared by every container of the
// same uid: read, fill or exhaust them) and new user namespaces (they unlock code paths that
// otherwise need a capability: the usual first step of container-escape exploits).
//
// Before the fix (seen at 86ec50a, Tandem's hand-written seccomp deny-list):
//   io_uring_setup=ok  io_uring_enter=EBADF  io_uring_register=EINVAL  (all reach the kernel)
//   keyctl=EPERM add_key=EPERM unshare_newuser=EPERM clone_newuser=EPERM clone3_newuser=ENOSYS
//   (the deny-list already refused these; Podman's stock profile alone allows keyctl, add_key,
//   unshare and clone with CLONE_NEWUSER, so Tandem keeps refusing them on top of it).
// After the fix (Podman's profile, converted, plus Tandem's additions): io_uring_* = ENOSYS,
// keyctl/add_key/unshare/clone with CLONE_NEWUSER = EPERM, clone3 = ENOSYS, thread=ok: every call
// above is refused before it reaches the kernel, while threads (clone3 → ENOSYS → clone) work.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HAVE_BACKEND } from "../../../drivers/container/test/support";
import { PROBE, probeResults, runIn, useAttackContainer } from "./container-probe";

describe.skipIf(!HAVE_BACKEND)("attack: a container reaches io_uring, keyrings and user namespaces", () => {
  const c = useAttackContainer({ probe: true });
  const run = (script: string) => runIn(c.env(), c.guest().id, script);

  it("runs the container's init and its exec'd processes under one seccomp filter", async () => {
    const { pid } = await c.env().driver.details(c.guest().id);
    expect(readFileSync(`/proc/${pid}/status`, "utf8")).toMatch(/^Seccomp:\s+2$/m);
    expect((await run("grep Seccomp: /proc/self/status")).out).toMatch(/Seccomp:\s+2/);
  });

  it("refuses io_uring before it reaches the kernel", async () => {
    const r = probeResults((await run(`${PROBE} io_uring`)).out);
    expect(r.io_uring_setup).toMatch(/^(ENOSYS|EPERM)$/);
    // EBADF/EINVAL would mean the call got past the filter to the kernel's argument checks.
    expect(r.io_uring_enter).toMatch(/^(ENOSYS|EPERM)$/);
    expect(r.io_uring_register).toMatch(/^(ENOSYS|EPERM)$/);
  });

  it("refuses the kernel keyrings", async () => {
    const r = probeResults((await run(`${PROBE} keyring`)).out);
    expect(r).toMatchObject({ keyctl: "EPERM", add_key: "EPERM" });
  });

  it("refuses new user namespaces by unshare, clone and clone3, and threads still work", async () => {
    const r = probeResults((await run(`${PROBE} userns thread`)).out);
    expect(r.unshare_newuser).toBe("EPERM");
    expect(r.clone_newuser).toBe("EPERM");
    // seccomp cannot read clone3's flags (they are in memory): the whole call is refused with
    // ENOSYS so that libc falls back to clone, whose flags it can check.
    expect(r.clone3_newuser).toBe("ENOSYS");
    expect(r.thread).toBe("ok");
  });

  it("still runs 32-bit system calls (the filter lists the host's sub-architectures)", async () => {
    // crun ignores Podman's archMap: the unconverted profile would kill this with SIGSYS.
    const r = probeResults((await run(`${PROBE} ia32`)).out);
    expect(r.ia32).toBe(process.arch === "x64" ? "ok" : "n/a");
  });
});
