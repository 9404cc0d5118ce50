// The supervisor's decisions with fake ports (no root, no crun): exit handling, the restart
// policy and its backoff, the watchdog for inits that vanished without an exit file.
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../domain/logger";
import { KeyedLock } from "./keyed-lock";
import type { ContainerRecord } from "./record";
import { Supervisor, type SupervisorPorts, type Timers } from "./supervisor";

function record(uuid: string, o: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    version: 1,
    uuid,
    id: `local.container.${uuid}`,
    name: uuid,
    image: "busybox",
    lowerDirs: ["/l"],
    createdAt: "2024-01-01T00:00:00.000Z",
    vcpus: 1,
    memoryMiB: 64,
    pidsLimit: null,
    restartPolicy: "no",
    ports: [],
    network: { mode: "none", netns: null, hostVeth: null, ip: null },
    nics: [],
    desired: "running",
    creating: false,
    restartCount: 0,
    oomKills: 0,
    lastExit: null,
    exposedPorts: [],
    stopSignal: "TERM",
    idRange: null,
    diskGiB: null,
    ...o,
  };
}

/** Timers that fire only when the test says so. */
class ManualTimers implements Timers {
  pending: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  ticks: (() => void)[] = [];
  after(ms: number, fn: () => void) {
    const t = { ms, fn, cancelled: false };
    this.pending.push(t);
    return () => (t.cancelled = true);
  }
  every(_ms: number, fn: () => void) {
    this.ticks.push(fn);
    return () => (this.ticks = this.ticks.filter((f) => f !== fn));
  }
  fireAll() {
    const due = this.pending.filter((t) => !t.cancelled);
    this.pending = [];
    for (const t of due) t.fn();
  }
  tick() {
    for (const f of this.ticks) f();
  }
}

/** A host in memory: which inits live, which exit files exist, what the runtime was asked. */
function world(recs: ContainerRecord[]) {
  const records = new Map(recs.map((r) => [r.uuid, r]));
  const alive = new Set<string>();
  const exitCodes = new Map<string, number | null>();
  const oom = new Map<string, number>();
  const calls: string[] = [];
  const transitioning = new Set<string>();
  const locks = new KeyedLock();
  const timers = new ManualTimers();
  let startFails = false;
  const ports: SupervisorPorts = {
    records: {
      find: (u) => records.get(u),
      get: (u) => {
        const r = records.get(u);
        if (!r) throw new Error(`no ${u}`);
        return r;
      },
      all: () => [...records.values()],
      update: (u, patch) => {
        const next = { ...records.get(u)!, ...patch };
        records.set(u, next);
        return next;
      },
    },
    locks,
    proc: {
      isAlive: (u) => alive.has(u) && !exitCodes.has(u),
      hasExitFile: (u) => exitCodes.has(u),
      exitCode: (u) => exitCodes.get(u) ?? null,
      oomKills: (u) => oom.get(u) ?? 0,
    },
    runtime: {
      start: async (rec) => {
        calls.push(`start ${rec.uuid}`);
        if (startFails) throw new Error("crun said no");
        alive.add(rec.uuid);
      },
      release: async (u) => void calls.push(`release ${u}`),
      forgetExit: (u) => {
        calls.push(`forget ${u}`);
        exitCodes.delete(u);
      },
    },
    mounts: { unmountRoot: async (u) => void calls.push(`unmount ${u}`) },
    network: { sync: async () => void calls.push("sync") },
    transitioning: (u) => transitioning.has(u),
    changed: (u) => void calls.push(`changed ${u}`),
    timers,
    log: silentLogger,
  };
  const exit = (u: string, code: number | null) => {
    alive.delete(u);
    exitCodes.set(u, code);
  };
  return {
    records,
    alive,
    oom,
    calls,
    transitioning,
    locks,
    timers,
    exit,
    failStarts: () => (startFails = true),
    supervisor: new Supervisor(ports),
  };
}

describe("supervisor: exits", () => {
  it("records the exit code, releases runtime, mounts and exit file in that order, and stays down under `no`", async () => {
    const w = world([record("a")]);
    w.alive.add("a");
    w.exit("a", 3);
    await w.supervisor.handleExit("a");
    expect(w.records.get("a")!.lastExit).toMatchObject({ code: 3, byUser: false, oomKilled: false });
    expect(w.calls).toEqual(["release a", "unmount a", "forget a", "changed a", "sync"]);
    expect(w.records.get("a")!.desired).toBe("stopped");
    expect(w.timers.pending).toEqual([]);
  });

  it("handles an exit file once even when reported twice", async () => {
    const w = world([record("a")]);
    w.exit("a", 1);
    await Promise.all([w.supervisor.handleExit("a"), w.supervisor.handleExit("a")]);
    expect(w.calls.filter((c) => c === "release a")).toHaveLength(1);
  });

  it("ignores a report for a container still alive, being created, or unknown", async () => {
    const w = world([record("live"), record("new", { creating: true })]);
    w.alive.add("live");
    await w.supervisor.handleExit("live", true);
    await w.supervisor.handleExit("new", true);
    await w.supervisor.handleExit("nobody", true);
    expect(w.calls).toEqual([]);
  });

  it("counts an OOM-killed init (137 with the cgroup's oom_kill raised) as oomKilled", async () => {
    const w = world([record("a", { oomKills: 2 })]);
    w.oom.set("a", 1);
    w.exit("a", 137);
    await w.supervisor.handleExit("a");
    expect(w.records.get("a")!.lastExit).toMatchObject({ code: 137, oomKilled: true });
    expect(w.records.get("a")!.oomKills).toBe(3);
  });

  it("takes an init lost without an exit file as killed (137)", async () => {
    const w = world([record("a")]);
    await w.supervisor.handleExit("a", true);
    expect(w.records.get("a")!.lastExit).toMatchObject({ code: 137, byUser: false });
  });

  it("marks an exit of a container the user wanted stopped as by the user", async () => {
    const w = world([record("a", { desired: "stopped" })]);
    w.exit("a", 0);
    await w.supervisor.handleExit("a");
    expect(w.records.get("a")!.lastExit).toMatchObject({ code: 0, byUser: true });
    expect(w.calls).not.toContain("sync");
  });
});

describe("supervisor: restart policy", () => {
  it("on-failure restarts a non-zero exit after the backoff and counts it", async () => {
    const w = world([record("a", { restartPolicy: "on-failure" })]);
    w.exit("a", 2);
    await w.supervisor.handleExit("a");
    expect(w.timers.pending.map((t) => t.ms)).toEqual([100]);
    expect(w.supervisor.restartPending("a")).toBe(true);
    w.timers.fireAll();
    await w.locks.drain();
    expect(w.calls).toContain("start a");
    expect(w.records.get("a")!.restartCount).toBe(1);
    expect(w.supervisor.restartPending("a")).toBe(false);
    // The second crash waits twice as long.
    w.exit("a", 2);
    await w.supervisor.handleExit("a");
    expect(w.timers.pending.map((t) => t.ms)).toEqual([200]);
  });

  it("on-failure leaves a clean exit stopped; always restarts it", async () => {
    const w = world([record("a", { restartPolicy: "on-failure" }), record("b", { restartPolicy: "always" })]);
    w.exit("a", 0);
    w.exit("b", 0);
    await w.supervisor.handleExit("a");
    await w.supervisor.handleExit("b");
    expect(w.records.get("a")!.desired).toBe("stopped");
    expect(w.records.get("b")!.desired).toBe("running");
    expect(w.timers.pending).toHaveLength(1);
  });

  it("always does not restart a container the user stopped, nor one whose restart was cancelled", async () => {
    const w = world([
      record("a", { restartPolicy: "always", desired: "stopped" }),
      record("b", { restartPolicy: "always" }),
    ]);
    w.exit("a", 1);
    await w.supervisor.handleExit("a");
    expect(w.timers.pending).toEqual([]);
    w.exit("b", 1);
    await w.supervisor.handleExit("b");
    w.supervisor.cancelRestart("b");
    w.timers.fireAll();
    await w.locks.drain();
    expect(w.calls).not.toContain("start b");
  });

  it("does not restart once the user stopped it while the backoff ran", async () => {
    const w = world([record("a", { restartPolicy: "always" })]);
    w.exit("a", 1);
    await w.supervisor.handleExit("a");
    w.records.set("a", { ...w.records.get("a")!, desired: "stopped" });
    w.timers.fireAll();
    await w.locks.drain();
    expect(w.calls).not.toContain("start a");
  });

  it("a failed restart is logged, not thrown, and the watchdog finds the container again", async () => {
    const w = world([record("a", { restartPolicy: "always" })]);
    w.failStarts();
    w.exit("a", 1);
    await w.supervisor.handleExit("a");
    w.timers.fireAll();
    await w.locks.drain();
    expect(w.calls).toContain("start a");
    w.supervisor.start();
    w.timers.tick();
    await w.locks.drain();
    expect(w.calls.filter((c) => c === "release a")).toHaveLength(2);
    expect(w.timers.pending).toHaveLength(1);
  });

  it("close cancels pending restarts and ignores later exits", async () => {
    const w = world([record("a", { restartPolicy: "always" }), record("b")]);
    w.exit("a", 1);
    await w.supervisor.handleExit("a");
    w.supervisor.close();
    expect(w.timers.pending.every((t) => t.cancelled)).toBe(true);
    w.exit("b", 1);
    await w.supervisor.handleExit("b");
    expect(w.calls).not.toContain("release b");
  });
});

describe("supervisor: watchdog and adoption", () => {
  it("finds an init that vanished without an exit file, and leaves the others alone", async () => {
    const w = world([
      record("lost"),
      record("live"),
      record("stopped", { desired: "stopped" }),
      record("stopping"),
      record("exited"),
      record("busy"),
    ]);
    w.alive.add("live");
    w.transitioning.add("stopping");
    w.exit("exited", 0); // the exit watcher handles this one
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    void w.locks.run("busy", () => held);
    w.supervisor.start();
    expect(w.timers.ticks).toHaveLength(1);
    w.timers.tick();
    release();
    await w.locks.drain();
    expect(w.calls.filter((c) => c.startsWith("release"))).toEqual(["release lost"]);
    expect(w.records.get("lost")!.lastExit).toMatchObject({ code: 137 });
  });

  it("stops looking once closed", () => {
    const w = world([record("lost")]);
    w.supervisor.start();
    w.supervisor.close();
    expect(w.timers.ticks).toEqual([]);
  });

  it("adopts at start-up: an exit while Tandem was away is handled, a running init is left running", async () => {
    const w = world([record("gone", { restartPolicy: "always" }), record("dead"), record("live")]);
    w.exit("gone", 1);
    w.alive.add("live");
    for (const r of w.records.values()) await w.supervisor.adopt(r);
    expect(w.records.get("gone")!.lastExit).toMatchObject({ code: 1 });
    expect(w.supervisor.restartPending("gone")).toBe(true);
    expect(w.records.get("dead")!.lastExit).toMatchObject({ code: 137 });
    expect(w.records.get("live")!.lastExit).toBeNull();
  });
});
