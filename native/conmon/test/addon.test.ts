// Unit tests for the tandem_conmon addon: argument checking, SOCK_SEQPACKET framing both ways,
// back-pressure queueing and SCM_RIGHTS fd passing. No container backend needed.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  closeFd,
  conmonAddon,
  connectSeqpacket,
  lgetxattr,
  listenForFd,
  lsetxattr,
  makeWhiteout,
  openFdStream,
  sendFd,
  socketPair,
  type NativeFdStream,
} from "../index";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function collect(stream: (onData: (b: Buffer) => void, onEnd: (e: string | null) => void) => NativeFdStream) {
  const chunks: Buffer[] = [];
  let ended: string | null | undefined;
  const s = stream(
    (b) => chunks.push(b),
    (e) => (ended = e),
  );
  cleanups.push(() => s.close());
  return { s, chunks, ended: () => ended };
}

async function until(pred: () => boolean, ms = 2000) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("tandem_conmon addon", () => {
  it("rejects bad arguments with TypeError/RangeError instead of crashing", () => {
    const a = conmonAddon();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const loose = a as any;
    expect(() => loose.connectUnix()).toThrow(TypeError);
    expect(() => loose.connectUnix(42, true)).toThrow(TypeError);
    expect(() => loose.connectUnix("/x", "yes")).toThrow(TypeError);
    expect(() => loose.connectUnix("", true)).toThrow(TypeError);
    expect(() => loose.setWinsize(-1, 1, 1)).toThrow(RangeError);
    // An fd is an integer: 1.5 and NaN are refused, not truncated (NaN once became fd 0).
    expect(() => loose.setWinsize(1.5, 1, 1)).toThrow(RangeError);
    expect(() => loose.closeFd(Number.NaN)).toThrow(RangeError);
    expect(() => loose.connectUnix("/x\0y", true)).toThrow(TypeError);
    expect(() => loose.setWinsize(0, 0, 80)).toThrow(RangeError);
    expect(() => loose.recvFd("x", 1)).toThrow(TypeError);
    expect(() => loose.socketPair()).toThrow(TypeError);
    expect(() => new loose.FdStream()).toThrow(TypeError);
    expect(
      () =>
        new loose.FdStream(
          1e12,
          {},
          () => {},
          () => {},
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new loose.FdStream(
          987654,
          {},
          () => {},
          () => {},
        ),
    ).toThrow(/not open/);
    expect(
      () =>
        new loose.FdStream(
          0,
          { maxMessage: 0 },
          () => {},
          () => {},
        ),
    ).toThrow(RangeError);
    const [x, y] = socketPair(true);
    const st = openFdStream(
      x,
      {},
      () => {},
      () => {},
    );
    expect(() => (st as unknown as { write(v: unknown): void }).write("str")).toThrow(TypeError);
    expect(() => (st as unknown as { write(v: unknown): void }).write(new Uint16Array(2))).toThrow(TypeError);
    st.close();
    st.close();
    expect(() => st.write(new Uint8Array(1))).toThrow(/closed/);
    closeFd(y);
  });

  it("connect to a missing socket reports the path and errno", () => {
    expect(() => connectSeqpacket("/nonexistent/tandem/attach")).toThrow(
      /connect \/nonexistent\/tandem\/attach: No such file/,
    );
  });

  it("keeps SOCK_SEQPACKET message boundaries both ways and cuts large writes", async () => {
    const [a, b] = socketPair(true);
    const A = collect((d, e) => openFdStream(a, { seqpacket: true, maxMessage: 4 }, d, e));
    const B = collect((d, e) => openFdStream(b, { seqpacket: true }, d, e));
    A.s.write(Buffer.from("abcdefghij"));
    await until(() => B.chunks.length === 3);
    expect(B.chunks.map(String)).toEqual(["abcd", "efgh", "ij"]);
    B.s.write(Buffer.from([2, 104, 105]));
    await until(() => A.chunks.length === 1);
    expect([...A.chunks[0]!]).toEqual([2, 104, 105]);
    B.s.close();
    await until(() => A.ended() !== undefined);
    expect(A.ended()).toBeNull();
  });

  it("queues writes the peer cannot take yet and flushes them later", async () => {
    const [a, b] = socketPair(false);
    const A = collect((d, e) => openFdStream(a, {}, d, e));
    const big = Buffer.alloc(8 * 1024 * 1024, 7);
    const pending = A.s.write(big);
    expect(pending).toBeGreaterThan(0);
    let got = 0;
    const B = collect((d, e) => openFdStream(b, {}, (c) => ((got += c.length), d(Buffer.alloc(0))), e));
    await until(() => got === big.length, 5000);
    expect(A.s.pending()).toBe(0);
    B.s.close();
  });

  it("pause stops delivery until resume", async () => {
    const [a, b] = socketPair(true);
    const A = collect((d, e) => openFdStream(a, { seqpacket: true }, d, e));
    const B = collect((d, e) => openFdStream(b, { seqpacket: true }, d, e));
    B.s.pause();
    A.s.write(Buffer.from("x"));
    await new Promise((r) => setTimeout(r, 50));
    expect(B.chunks).toHaveLength(0);
    B.s.resume();
    await until(() => B.chunks.length === 1);
  });

  it("receives a file descriptor over SCM_RIGHTS", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-addon-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "payload");
    const fd = openSync(file, "w+");
    writeSync(fd, "through the socket");
    const listener = listenForFd(path.join(dir, "console.sock"));
    const received = listener.receive(2000);
    sendFd(path.join(dir, "console.sock"), fd);
    const got = await received;
    listener.close();
    closeSync(fd);
    expect(got).not.toBe(fd);
    const buf = Buffer.alloc(64);
    const n = readSync(got, buf, 0, 64, 0);
    expect(buf.subarray(0, n).toString()).toBe("through the socket");
    closeSync(got);
  });

  it("makes overlay whiteouts and opaque markers", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-addon-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    makeWhiteout(path.join(dir, "gone"));
    const st = statSync(path.join(dir, "gone"));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe(0);
    lsetxattr(dir, "trusted.overlay.opaque", "y");
    expect(lgetxattr(dir, "trusted.overlay.opaque")).toBe("y");
    expect(lgetxattr(dir, "trusted.overlay.nothing")).toBeNull();
    expect(() => makeWhiteout(path.join(dir, "gone"))).toThrow(/File exists/);
  });

  it("times out when nobody passes a fd, and reaches long socket paths", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "tandem-addon-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const deep = path.join(dir, "d".repeat(100));
    (await import("node:fs")).mkdirSync(deep);
    const sock = path.join(deep, "console.sock");
    expect(sock.length).toBeGreaterThan(108);
    const listener = listenForFd(sock);
    await expect(listener.receive(50)).rejects.toThrow(/timed out/);
    const r = listener.receive(2000);
    const fd = openSync(path.join(dir, "f"), "w");
    sendFd(sock, fd);
    closeSync(await r);
    closeSync(fd);
    listener.close();
  });
});
