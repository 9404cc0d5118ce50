// Unit tests for the tandem_idmap addon's argument checking: bad input is a TypeError or
// RangeError thrown to JavaScript, never a crash or a syscall with garbage.
import { describe, expect, it } from "vitest";
import { idmapAddon } from "../index";

describe("tandem_idmap addon arguments", () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const a = idmapAddon() as any;
  const map = [{ inside: 0, outside: 1048576, count: 65536 }];

  it("rejects malformed maps", () => {
    expect(() => a.userns()).toThrow(TypeError);
    expect(() => a.userns("0 1 2", map)).toThrow(TypeError);
    expect(() => a.userns([], map)).toThrow(RangeError);
    expect(() => a.userns([{ inside: 0, outside: 1 }], map)).toThrow(TypeError);
    expect(() => a.userns([{ inside: -1, outside: 1, count: 1 }], map)).toThrow(RangeError);
    expect(() => a.userns([{ inside: 0.5, outside: 1, count: 1 }], map)).toThrow(RangeError);
    expect(() => a.userns([{ inside: 0, outside: 1, count: 0 }], map)).toThrow(RangeError);
    expect(() => a.userns([{ inside: 0, outside: 2 ** 32 - 10, count: 65536 }], map)).toThrow(RangeError);
    expect(() => a.userns(map, [{ inside: 0, outside: 2 ** 32, count: 1 }])).toThrow(RangeError);
  });

  it("rejects relative or empty paths and bad fds", () => {
    expect(() => a.idmapBind("rel", "/x", 3, true)).toThrow(TypeError);
    expect(() => a.idmapBind("/x", "", 3, true)).toThrow(TypeError);
    expect(() => a.idmapBind("/x", "/y", -1, true)).toThrow(RangeError);
    expect(() => a.idmapBind("/x", "/y", 3, "yes")).toThrow(TypeError);
    expect(() => a.detach("relative")).toThrow(TypeError);
    expect(() => a.closeFd("3")).toThrow(TypeError);
    expect(() => a.closeFd(Number.NaN)).toThrow(RangeError);
    expect(() => a.idmapBind("/x", "/y", 2.5, true)).toThrow(RangeError);
    expect(() => a.detach("/x\0y")).toThrow(TypeError);
  });
});
