import { describe, expect, it } from "vitest";
import { seedFiles } from "./cloud-init";
import { guestState, stateHint } from "./states";
import { toSample } from "./stats";

describe("state mapping", () => {
  it("maps libvirt states and shut-off reasons", () => {
    expect(guestState(1, 1)).toBe("running");
    expect(guestState(2, 0)).toBe("running");
    expect(guestState(3, 1)).toBe("paused");
    expect(guestState(4, 1)).toBe("shutting-down");
    expect(guestState(5, 1)).toBe("stopped");
    expect(guestState(5, 2)).toBe("stopped");
    expect(guestState(5, 3)).toBe("crashed");
    expect(guestState(6, 0)).toBe("crashed");
    expect(guestState(7, 0)).toBe("paused");
    expect(guestState(0, 0)).toBe("unknown");
  });

  it("turns lifecycle events into hints", () => {
    expect(stateHint(0, 0)).toBeNull(); // defined
    expect(stateHint(1, 0)).toBe("removed");
    expect(stateHint(2, 0)).toBe("running");
    expect(stateHint(3, 0)).toBe("paused");
    expect(stateHint(4, 0)).toBe("running");
    expect(stateHint(5, 1)).toBe("stopped");
    expect(stateHint(5, 2)).toBe("crashed");
    expect(stateHint(6, 0)).toBe("shutting-down");
    expect(stateHint(8, 0)).toBe("crashed");
  });
});

describe("stats → sample", () => {
  const params = {
    "state.state": 1,
    "cpu.time": 5_661_269_000,
    "balloon.current": 262144,
    "balloon.maximum": 262144,
    "balloon.available": 210732,
    "balloon.usable": 179992,
    "balloon.rss": 249560,
    "block.count": 2,
    "block.0.name": "vda",
    "block.0.rd.bytes": 1000,
    "block.0.wr.bytes": 2000,
    "block.1.name": "sda",
    "block.1.rd.bytes": 10,
    "net.count": 1,
    "net.0.rx.bytes": 300,
    "net.0.tx.bytes": 400,
  };

  it("sums devices and prefers the guest's own memory view", () => {
    expect(toSample("local.vm.x", 42, params, 2)).toEqual({
      id: "local.vm.x",
      at: 42,
      cpuTimeNs: 5_661_269_000,
      cpuCount: 2,
      memoryUsedBytes: (210732 - 179992) * 1024,
      memoryLimitBytes: 262144 * 1024,
      diskReadBytes: 1010,
      diskWriteBytes: 2000,
      netRxBytes: 300,
      netTxBytes: 400,
    });
  });

  it("falls back to RSS, then to the balloon size, and tolerates missing groups", () => {
    const { ["balloon.available"]: _a, ["balloon.usable"]: _u, ...noGuest } = params;
    expect(toSample("i", 0, noGuest, 1).memoryUsedBytes).toBe(249560 * 1024);
    const bare = toSample("i", 0, { "state.state": 1 }, 0);
    expect(bare).toMatchObject({ cpuTimeNs: 0, cpuCount: 1, memoryUsedBytes: 0, diskReadBytes: 0, netRxBytes: 0 });
  });
});

describe("cloud-init seed files", () => {
  it("writes JSON-as-YAML that user input cannot break", () => {
    const f = seedFiles({
      instanceId: "u-1",
      hostname: "web1",
      user: "ada",
      password: "p: w\n- x # '\"",
      sshKeys: ["ssh-ed25519 AAAA ada@host"],
    });
    expect(f["user-data"].startsWith("#cloud-config\n")).toBe(true);
    const user = JSON.parse(f["user-data"].slice("#cloud-config\n".length)) as Record<string, unknown>;
    expect(user.hostname).toBe("web1");
    expect(user.users).toEqual([
      expect.objectContaining({ name: "ada", ssh_authorized_keys: ["ssh-ed25519 AAAA ada@host"], lock_passwd: false }),
    ]);
    expect(user.chpasswd).toEqual({
      expire: false,
      users: [{ name: "ada", password: "p: w\n- x # '\"", type: "text" }],
    });
    expect(JSON.parse(f["meta-data"])).toEqual({ "instance-id": "u-1", "local-hostname": "web1" });
    expect(JSON.parse(f["network-config"]).version).toBe(2);
  });
});
