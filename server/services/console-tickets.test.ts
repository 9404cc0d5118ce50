import { describe, expect, it } from "vitest";
import { ConsoleTickets } from "./console-tickets";

describe("ConsoleTickets", () => {
  it("is single-use", () => {
    const t = new ConsoleTickets();
    const { ticket } = t.issue("u1", "g1");
    expect(t.consume(ticket, "u1")).toBe("g1");
    expect(t.consume(ticket, "u1")).toBeNull();
  });
  it("is bound to the user who asked for it, and burns on a wrong user", () => {
    const t = new ConsoleTickets();
    const { ticket } = t.issue("u1", "g1");
    expect(t.consume(ticket, "u2")).toBeNull();
    expect(t.consume(ticket, "u1")).toBeNull();
  });
  it("expires", () => {
    let now = 0;
    const t = new ConsoleTickets(30_000, () => now);
    const { ticket } = t.issue("u1", "g1");
    now = 30_001;
    expect(t.consume(ticket, "u1")).toBeNull();
  });
  it("refuses unknown tickets", () => {
    expect(new ConsoleTickets().consume("nope", "u1")).toBeNull();
  });
});
