import { describe, expect, it } from "vitest";
import { AppError } from "../../domain/errors";
import type { GuestSpec } from "../../domain/driver";
import { FakeDriver } from "./fake-driver";

const spec = (over: Partial<GuestSpec> = {}): GuestSpec => ({
  kind: "vm",
  name: "a",
  image: "demo-vm",
  vcpus: 1,
  memoryMiB: 128,
  uuid: "u1",
  resolvedImage: { id: "demo-vm", kind: "vm", format: "demo-kernel", path: "", meta: {} },
  ...over,
});

describe("FakeDriver", () => {
  it("creates, acts by the state rules, samples moving counters and removes", async () => {
    const d = new FakeDriver({ kind: "vm", hostId: "local", createDelayMs: 4 });
    const progress: number[] = [];
    const g = await d.create(spec(), (p) => progress.push(p.percent));
    expect(g).toMatchObject({ id: "local.vm.u1", state: "running", adopted: false });
    expect(progress.length).toBeGreaterThan(1);
    await expect(d.act(g.id, "resume")).rejects.toMatchObject({ code: "INVALID_STATE" });
    await d.act(g.id, "pause");
    expect((await d.get(g.id)).state).toBe("paused");
    await d.act(g.id, "resume");
    const [s1] = await d.sample([g.id]);
    await new Promise((r) => setTimeout(r, 20));
    const [s2] = await d.sample([g.id]);
    expect(s2!.cpuTimeNs).toBeGreaterThan(s1!.cpuTimeNs);
    await d.remove(g.id);
    await expect(d.get(g.id)).rejects.toBeInstanceOf(AppError);
  });

  it("emits events for changes", async () => {
    const d = new FakeDriver({ kind: "container", hostId: "local", createDelayMs: 1 });
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of d.events(ac.signal)) {
        seen.push(ev.type);
        if (seen.length === 2) ac.abort();
      }
    })();
    const g = await d.create(spec({ kind: "container", uuid: "c1" }), () => {});
    await d.remove(g.id);
    await done;
    expect(seen).toEqual(["changed", "removed"]);
  });

  it("echoes console input", async () => {
    const d = new FakeDriver({ kind: "vm", hostId: "local", seed: 1 });
    const [g] = await d.list();
    const c = await d.openConsole(g!.id, { cols: 80, rows: 24 });
    let out = "";
    c.onData((b) => (out += new TextDecoder().decode(b)));
    c.write(new TextEncoder().encode("hi\r"));
    await new Promise((r) => setTimeout(r, 5));
    expect(out).toContain("hi\r\n");
  });
});
