// Unit test of how pool XML and raw records become the public shapes (no daemon needed).
import { describe, expect, it } from "vitest";
import { poolXmlFacts, toPoolInfo, toVolInfo } from "../storage";

describe("pool and volume records", () => {
  it("reads the pool type and target path, decoding XML entities", () => {
    const xml = `<pool type='dir'>
  <name>p</name>
  <target>
    <path>/srv/a &amp; b/&apos;x&apos;</path>
    <permissions><mode>0755</mode></permissions>
  </target>
</pool>`;
    expect(poolXmlFacts(xml)).toEqual({ type: "dir", targetPath: "/srv/a & b/'x'" });
  });

  it("keeps a numeric-looking path a string and reports null without a target", () => {
    expect(poolXmlFacts("<pool type='dir'><target><path>/1234</path></target></pool>").targetPath).toBe("/1234");
    expect(poolXmlFacts("<pool type='rbd'><name>r</name><source><name>x</name></source></pool>")).toEqual({
      type: "rbd",
      targetPath: null,
    });
  });

  it("names states and types, unknown numbers included", () => {
    const base = { name: "p", uuid: "u", active: true, persistent: true, autostart: false };
    const sizes = { capacity: 3, allocation: 1, available: 2 };
    const xml = "<pool type='logical'><target><path>/dev/vg</path></target></pool>";
    expect(toPoolInfo({ ...base, ...sizes, state: 2, xml })).toEqual({
      ...base,
      ...sizes,
      state: "running",
      type: "logical",
      targetPath: "/dev/vg",
    });
    expect(toPoolInfo({ ...base, ...sizes, state: -1, xml }).state).toBe("unknown");
    const vol = { name: "v", key: "k", path: "/p/v", pool: "p", capacity: 1, allocation: 0 };
    expect(toVolInfo({ ...vol, type: 1 })).toEqual({ ...vol, type: "block" });
    expect(toVolInfo({ ...vol, type: -1 }).type).toBe("unknown");
  });
});
