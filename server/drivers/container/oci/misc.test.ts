// Unit tests for the small pure pieces: k8s-file log parsing, restart policy, resize messages,
// the conmon command line.
import { describe, expect, it } from "vitest";
import { conmonArgs } from "./conmon";
import { resizeMessage } from "./console";
import { wrapperScript } from "./host";
import { K8sLogParser } from "./logs";
import { containerPaths } from "./layout";
import { restartDelayMs, shouldRestart } from "./restart";

describe("k8s-file log parser", () => {
  it("joins partial records and keeps streams", () => {
    const p = new K8sLogParser();
    const a = p.push("2024-01-01T00:00:00.1+00:00 stdout P hel");
    expect(a).toEqual([]);
    const b = p.push(
      "lo\n2024-01-01T00:00:00.2+00:00 stdout F  world\n2024-01-01T00:00:00.3+00:00 stderr F oops\r\nnot a record\n",
    );
    expect(b).toEqual([
      { time: "2024-01-01T00:00:00.2+00:00", stream: "stdout", text: "hello world" },
      { time: "2024-01-01T00:00:00.3+00:00", stream: "stderr", text: "oops" },
    ]);
  });
});

describe("restart policy", () => {
  it("decides like Docker", () => {
    expect(shouldRestart("no", 1, false)).toBe(false);
    expect(shouldRestart("on-failure", 0, false)).toBe(false);
    expect(shouldRestart("on-failure", 2, false)).toBe(true);
    expect(shouldRestart("always", 0, false)).toBe(true);
    expect(shouldRestart("always", 1, true)).toBe(false);
    expect(restartDelayMs(0)).toBe(100);
    expect(restartDelayMs(3)).toBe(800);
    expect(restartDelayMs(100)).toBe(30_000);
  });
});

describe("conmon and runtime plumbing", () => {
  it("formats resize messages for the ctl fifo", () => {
    expect(resizeMessage({ rows: 24, cols: 80 })).toBe("1 24 80\n");
    expect(resizeMessage({ rows: 0, cols: 10.7 })).toBe("1 1 10\n");
  });

  it("builds conmon's command line", () => {
    const paths = containerPaths("/d/containers", "u1");
    const args = conmonArgs({
      conmonPath: "conmon",
      runtimeCommand: "/rt",
      runtimeId: "tandem-u1",
      name: "web",
      paths,
      exitDir: "/x",
      socketDir: "/s",
    });
    expect(args.slice(0, 2)).toEqual(["--api-version", "1"]);
    expect(args).toContain("k8s-file:/d/containers/u1/ctr.log");
    expect(args[args.indexOf("-b") + 1]).toBe("/d/containers/u1/bundle");
    expect(args).toContain("-t");
  });

  it("wraps crun for hybrid hosts with a quoted path", () => {
    const n = { hybrid: true, nullDevice: "/d/bin/null" };
    expect(wrapperScript("/usr/bin/crun", n)).toContain("umount /sys/fs/cgroup/unified");
    expect(wrapperScript("/opt/it's/crun", n)).toContain(`'/opt/it'\\''s/crun'`);
    expect(wrapperScript("/usr/bin/crun", { ...n, hybrid: false })).not.toContain("unshare");
  });
});

describe("image references", () => {
  it("parses registry, repository, tag and digest", async () => {
    const { parseReference } = await import("./registry");
    expect(parseReference("127.0.0.1:5000/demo/app:1.0")).toEqual({
      registry: "127.0.0.1:5000",
      repository: "demo/app",
      tag: "1.0",
      digest: null,
    });
    expect(parseReference("busybox")).toEqual({
      registry: "registry-1.docker.io",
      repository: "library/busybox",
      tag: "latest",
      digest: null,
    });
    expect(parseReference("user/app:2")).toMatchObject({
      registry: "registry-1.docker.io",
      repository: "user/app",
      tag: "2",
    });
    expect(parseReference(`localhost/a@sha256:${"a".repeat(64)}`)).toMatchObject({
      registry: "localhost",
      tag: null,
      digest: `sha256:${"a".repeat(64)}`,
    });
    expect(() => parseReference("UPPER/case")).toThrow(/not an image reference/);
  });
});
