// Unit tests for the tandem_seccomp addon: it compiles deterministically, follows crun's skips
// (rules whose action is the default, unknown names), and bad input is a thrown error, never a
// crash or a half-built filter. That the program equals crun's own is shown by
// server/drivers/container/test/seccomp-bpf.int.test.ts.
import { describe, expect, it } from "vitest";
import { compileSeccomp, seccompAddon, type OciSeccomp } from "../index";

const base: OciSeccomp = {
  defaultAction: "SCMP_ACT_ERRNO",
  defaultErrnoRet: 38,
  architectures: ["SCMP_ARCH_X86_64"],
  syscalls: [
    { names: ["read", "write", "exit_group"], action: "SCMP_ACT_ALLOW" },
    { names: ["keyctl"], action: "SCMP_ACT_ERRNO", errnoRet: 1 },
    {
      names: ["clone"],
      action: "SCMP_ACT_ALLOW",
      args: [{ index: 0, value: 0x10000000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
    },
  ],
};
const bytes = (p: OciSeccomp) => compileSeccomp(p).bpf;

describe("tandem_seccomp compile", () => {
  it("returns a BPF program, the same one each time", () => {
    const a = compileSeccomp(base);
    expect(a.bpf.length % 8).toBe(0); // struct sock_filter is 8 bytes
    expect(a.bpf.length).toBeGreaterThan(8);
    expect(a.unknown).toEqual([]);
    expect(bytes(base).equals(a.bpf)).toBe(true);
    expect(seccompAddon().libseccompVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("grows with each architecture it covers", () => {
    const two = bytes({ ...base, architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"] });
    expect(two.length).toBeGreaterThan(bytes(base).length);
    // Listing an arch twice changes nothing (crun ignores EEXIST).
    expect(bytes({ ...base, architectures: ["SCMP_ARCH_X86_64", "x86_64"] }).equals(bytes(base))).toBe(true);
  });

  it("skips rules whose action is the default one and names libseccomp does not know, as crun does", () => {
    const same = { names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 38 };
    expect(bytes({ ...base, syscalls: [...base.syscalls, same] }).equals(bytes(base))).toBe(true);
    const r = compileSeccomp({
      ...base,
      syscalls: [...base.syscalls, { names: ["no_such_call"], action: "SCMP_ACT_ALLOW" }],
    });
    expect(r.unknown).toEqual(["no_such_call"]);
    expect(r.bpf.equals(bytes(base))).toBe(true);
    // A different errno is a different action: the rule is kept.
    const eperm = { names: ["getpid"], action: "SCMP_ACT_ERRNO", errnoRet: 1 };
    expect(bytes({ ...base, syscalls: [...base.syscalls, eperm] }).equals(bytes(base))).toBe(false);
  });

  it("accepts several comparisons on one argument (added as separate rules)", () => {
    const r = compileSeccomp({
      ...base,
      syscalls: [
        {
          names: ["personality"],
          action: "SCMP_ACT_ALLOW",
          args: [
            { index: 0, value: 0, op: "SCMP_CMP_EQ" },
            { index: 0, value: 8, op: "SCMP_CMP_EQ" },
          ],
        },
      ],
    });
    expect(r.bpf.length).toBeGreaterThan(0);
  });

  it("refuses malformed profiles with an error", () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const c = (p: any) => () => seccompAddon().compile(p);
    expect(c(undefined)).toThrow(TypeError);
    expect(c({ syscalls: [] })).toThrow(TypeError);
    expect(c({ defaultAction: "SCMP_ACT_ALLOW", syscalls: {} })).toThrow(TypeError);
    expect(c({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: [1], action: "SCMP_ACT_ERRNO" }] })).toThrow(
      TypeError,
    );
    expect(c({ ...base, defaultErrnoRet: 5000 })).toThrow(RangeError);
    expect(c({ ...base, defaultErrnoRet: 1.5 })).toThrow(RangeError);
    expect(
      c({
        ...base,
        syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }] }],
      }),
    ).toThrow(RangeError);
    expect(
      c({
        ...base,
        syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }] }],
      }),
    ).toThrow(RangeError);
    expect(c({ ...base, defaultAction: "SCMP_ACT_NOTIFY", defaultErrnoRet: undefined })).toThrow(/unsupported action/);
    expect(c({ ...base, syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", errnoRet: 1 }] })).toThrow(
      /errno value specified for action 'SCMP_ACT_ALLOW'/,
    );
    expect(
      c({
        ...base,
        syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: 0, op: "LIKE" }] }],
      }),
    ).toThrow(/unknown operator/);
    expect(c({ ...base, architectures: ["SCMP_ARCH_VAX"] })).toThrow(/unknown architecture 'vax'/);
  });
});
