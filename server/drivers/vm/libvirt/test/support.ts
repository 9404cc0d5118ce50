// Shared set-up for the VM driver's integration tests: the offline demo image built into a
// temporary directory, a driver with its own data dir and isolated network, and a sweep that
// removes every domain, network and file the run made — also after a failure.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { connect, type Connection } from "../../../../../native/libvirt/index";
import type { ConsoleStream, GuestSpec, ResolvedImage } from "../../../../domain/driver";
import { LibvirtDriver, type LibvirtDriverOptions } from "../driver";
import { answers, backend } from "../../../../test/backends";
import { removeHostGuard } from "../host-guard";

export const URI = process.env.TANDEM_LIBVIRT_URI ?? "qemu:///system";
const ROOT = path.resolve(import.meta.dirname, "../../../../..");

/** A libvirt connection for tests outside the drivers (they may not import native/ themselves). */
export const connectLibvirt = (uri = URI): Promise<Connection> => connect(uri);
export type { Connection };

/** Root and libvirtd answering on URI; under TANDEM_TEST_STRICT=1 a missing one throws (backends.ts). */
export function haveBackend(): boolean {
  if (process.getuid?.() !== 0)
    return backend("root (the VM driver's tests make domains, bridges and nft tables)", false);
  return backend(
    `libvirtd answering on ${URI} (scripts/host/ensure-libvirt.sh)`,
    answers("virsh", ["-c", URI, "version"]),
  );
}

export interface VmTestEnv {
  tag: string;
  prefix: string;
  tmp: string;
  dataDir: string;
  demo: ResolvedImage;
  driver: LibvirtDriver;
  conn: Connection;
  opts: LibvirtDriverOptions;
  spec(o?: Partial<GuestSpec>): GuestSpec;
  cleanup(): Promise<void>;
}

/** `uri`: another daemon than the host's (a test's private libvirtd): the host's is then left alone. */
export async function makeEnv(uri = URI): Promise<VmTestEnv> {
  try {
    if (uri === URI)
      execFileSync("bash", [path.join(ROOT, "scripts/host/ensure-libvirt.sh")], { stdio: "ignore", timeout: 60_000 });
  } catch {
    // The daemon may already be up without the script (e.g. a remote URI); haveBackend() decides.
  }
  const tag = randomBytes(3).toString("hex");
  const prefix = `tvt-${tag}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  // QEMU runs as libvirt-qemu: it must be able to search its way to the demo image (searchable,
  // not listable, as the data directory contract has it for Tandem's own data directory).
  chmodSync(tmp, 0o711);
  const demoDir = path.join(tmp, "demo");
  mkdirSync(demoDir, { mode: 0o711 });
  chmodSync(demoDir, 0o711);
  execFileSync("bash", [path.join(ROOT, "scripts/host/build-demo-images.sh"), demoDir], {
    stdio: "ignore",
    timeout: 180_000,
  });
  execFileSync("find", [demoDir, "-type", "d", "-exec", "chmod", "0711", "{}", "+"]);
  // Readable by QEMU's user without handing it the files (the base disk is pinned, not relabelled).
  execFileSync("find", [demoDir, "-type", "f", "-exec", "chmod", "a+r", "{}", "+"]);
  const manifest = JSON.parse(readFileSync(path.join(demoDir, "manifest.json"), "utf8")) as {
    vm: { kernel: string; initrd: string; disk: string; cmdline: string };
  };
  const abs = (p: string) => path.join(demoDir, p);
  const demo: ResolvedImage = {
    id: "demo-vm",
    kind: "vm",
    format: "demo-kernel",
    path: abs(manifest.vm.disk),
    meta: {
      kernel: abs(manifest.vm.kernel),
      initrd: abs(manifest.vm.initrd),
      disk: abs(manifest.vm.disk),
      cmdline: manifest.vm.cmdline,
    },
  };
  const dataDir = path.join(tmp, "data");
  const octet = 100 + (parseInt(tag.slice(0, 2), 16) % 100);
  const opts: LibvirtDriverOptions = {
    uri,
    hostId: "local",
    dataDir,
    shutdownTimeoutMs: 60_000,
    isolatedNetwork: { name: `${prefix}-net`, bridge: `tdv${tag}`, prefix: `10.213.${octet}` },
    hostGuard: { table: `tvt_${tag}` },
    reconnect: { minDelayMs: 100, maxDelayMs: 2000 },
  };
  const driver = new LibvirtDriver(opts);
  const conn = await connect(uri);
  let n = 0;
  const spec = (o: Partial<GuestSpec> = {}): GuestSpec => ({
    kind: "vm",
    name: `${prefix}-${n++}`,
    uuid: crypto.randomUUID(),
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 192,
    network: "user",
    resolvedImage: demo,
    ...o,
  });
  const cleanup = async () => {
    await driver.close().catch(() => undefined);
    await conn.close().catch(() => undefined);
    // A fresh connection: the test may have closed its own, or the daemon may have restarted.
    const c = await connect(uri);
    for (const d of await c.listAllDomains().catch(() => [])) {
      const name = d.name;
      if (name.startsWith(prefix)) {
        await d.destroy().catch(() => undefined);
        await d.undefine(2 | 4).catch(() => undefined);
        rmSync(`/var/log/libvirt/qemu/${name}.log`, { force: true });
      }
      d.free();
    }
    for (const nw of await c.listNetworks().catch(() => [])) {
      if (!nw.name.startsWith(prefix)) continue;
      await c.networkDestroy(nw.name).catch(() => undefined);
      await c.networkUndefine(nw.name).catch(() => undefined);
    }
    await c.close().catch(() => undefined);
    await removeHostGuard(`tvt_${tag}`);
    rmSync(tmp, { recursive: true, force: true });
  };
  return { tag, prefix, tmp, dataDir, demo, driver, conn, opts, spec, cleanup };
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The first 12 bytes an RFB server sends (its version string); closes the stream. */
export function rfbGreeting(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error("no RFB greeting within 10 s"));
    }, 10_000);
    stream.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      if (buf.length >= 12) {
        clearTimeout(timer);
        stream.destroy();
        resolve(buf.slice(0, 12));
      }
    });
    stream.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

export const exists = (p: string) => existsSync(p);

/** Creates a running demo VM without a NIC and returns it with its QEMU process id. */
export async function runningVm(env: VmTestEnv): Promise<{ spec: GuestSpec; id: string; pid: number }> {
  const spec = env.spec({ network: "none" });
  const g = await env.driver.create(spec, () => undefined);
  const pidFile = `/run/libvirt/qemu/${spec.name}.pid`;
  await waitFor(() => existsSync(pidFile), 30_000, "the QEMU pid file");
  return { spec, id: g.id, pid: Number(readFileSync(pidFile, "utf8").trim()) };
}

/** The demo guest's serial shell: collects output, answers busybox's cursor query, runs commands. */
export interface DemoShell {
  readonly con: ConsoleStream;
  text(): string;
  waitFor(needle: string | RegExp, timeoutMs: number, what?: string): Promise<void>;
  /** Types `cmd` and waits until `expect` appears in what follows. */
  run(cmd: string, expect: string | RegExp, timeoutMs?: number): Promise<string>;
  closeReason(): string;
}

export async function demoShell(driver: LibvirtDriver, id: string): Promise<DemoShell> {
  const con = await driver.openConsole(id, { cols: 80, rows: 24 });
  let out = "";
  let closed = "";
  con.onData((d) => {
    const s = Buffer.from(d).toString("latin1");
    out += s;
    if (s.includes("\x1b[6n")) con.write(Buffer.from("\x1b[24;1R"));
  });
  con.onClose((r) => (closed = r));
  const has = (hay: string, n: string | RegExp) => (typeof n === "string" ? hay.includes(n) : n.test(hay));
  const shell: DemoShell = {
    con,
    text: () => out,
    closeReason: () => closed,
    waitFor: (n, ms, what) => waitFor(() => has(out, n), ms, what ?? String(n)).then(() => undefined),
    run: async (cmd, expect, ms = 20_000) => {
      const mark = out.length;
      con.write(Buffer.from(`${cmd}\r`));
      await waitFor(() => has(out.slice(mark), expect), ms, `output of '${cmd}'`);
      return out.slice(mark);
    },
  };
  return shell;
}
