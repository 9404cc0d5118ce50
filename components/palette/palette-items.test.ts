import { describe, expect, it } from "vitest";
import type { Guest } from "@/server/contract";
import { fakeGuest } from "../test/guest-fixture";
import { paletteItems } from "./palette-items";

const g = (name: string, state: Guest["state"] = "running") => fakeGuest(name, { state });
const guests = [g("web-1"), g("web-2", "stopped"), g("db")];

describe("palette items", () => {
  it("ranks guests by prefix before substring", () => {
    const [group] = paletteItems("web", [...guests, g("my-web")], undefined);
    expect(group!.items.map((i) => (i.type === "guest" ? i.guest.name : ""))).toEqual(["web-1", "web-2", "my-web"]);
  });
  it("offers an action only where the state allows it", () => {
    const [group] = paletteItems("start web", guests, undefined);
    expect(group!.heading).toBe("Start…");
    expect(group!.items.map((i) => i.id)).toEqual(["a:start:local.vm.web-2"]);
    const [reboot] = paletteItems("restart", guests, undefined);
    expect(reboot!.items).toHaveLength(2);
  });
  it("lists the current guest's actions first, and pages to go to", () => {
    const groups = paletteItems("", guests, guests[0]);
    expect(groups[0]!.heading).toBe("web-1");
    expect(groups.at(-1)!.heading).toBe("Go to");
  });
  it("opens consoles of running guests", () => {
    const [group] = paletteItems("console web", guests, undefined);
    expect(group!.items.map((i) => i.type === "page" && i.href)).toEqual(["/guests/local.vm.web-1?tab=console"]);
  });
});
