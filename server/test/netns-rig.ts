// Network namespaces a test makes to stand in for the world outside the host, so network tests
// never send a packet to an address they did not create:
// - startUpstream: "the internet" — a netns on 198.18.0.0/15 (RFC 2544 benchmarking space) behind
//   a veth whose host end can be a NAT network's uplink, with an HTTP server (busybox httpd) and a
//   DNS server (dnsmasq) that answers one name with the upstream's address;
// - startClient: a machine on the LAN — a netns on 198.51.100.0/24 (TEST-NET-2) behind a veth,
//   from which a test reaches the host's address on that veth (published ports).
// Each rig owns its netns, veth pair, processes (ended by PID) and a tandem-* temp dir; stop()
// removes them all, is idempotent, and also runs on process exit, SIGINT and SIGTERM. A failure
// part-way removes what was made. Names are tdt-up-<hex> / tdt-cl-<hex> (netns, host link, and
// inside the temp dir's path, so scripts/leftovers.sh sees a leaked process too).
// The rig touches no host-wide setting: no default route, no ip_forward, no firewall rule. Its
// /30 is a connected route on the host, which is all the host needs to reach the other end.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Resolver } from "node:dns/promises";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

/** The name the upstream's DNS server answers unless told otherwise. */
export const UPSTREAM_NAME = "upstream.tandem.test";

export interface Upstream {
  name: string; // the DNS name that resolves to upstreamAddress
  netns: string;
  hostIf: string; // host end of the veth: a NAT network's uplink
  hostAddress: string;
  upstreamAddress: string;
  prefixLength: number;
  httpUrl: string; // http://<upstreamAddress>/ — answers `body`
  body: string;
  dnsServer: string; // address of the DNS server inside the upstream netns
  pids: number[]; // the HTTP and DNS servers' processes
  /** Each request the HTTP server answered so far: the source address it saw (after any NAT). */
  requests(): { from: string; status: number }[];
  stop(): Promise<void>;
}

export interface Client {
  netns: string;
  hostIf: string;
  hostAddress: string; // what the client connects to for a published port
  clientAddress: string;
  prefixLength: number;
  /** Runs argv inside the client netns. */
  run(argv: string[], timeoutMs?: number): Promise<RunResult>;
  stop(): Promise<void>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// ---- cleanup on exit and signals -------------------------------------------------------------

/** Synchronous teardown of every live rig: what exit and signal handlers can still run. */
const live = new Set<() => void>();

function onExit() {
  for (const teardown of [...live]) teardown();
}
function onSignal(signal: NodeJS.Signals) {
  onExit();
  // Re-raise so the process ends as it would have without us, unless someone else handles it.
  process.off(signal, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function track(teardown: () => void) {
  if (live.size === 0) {
    process.on("exit", onExit);
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  live.add(teardown);
}
function untrack(teardown: () => void) {
  live.delete(teardown);
  if (live.size === 0) {
    process.off("exit", onExit);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

// ---- one namespace behind one veth -----------------------------------------------------------

function ip(args: string[]) {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}
function quietly(fn: () => void) {
  try {
    fn();
  } catch {
    // already gone
  }
}

/** Runs argv inside `netns` and collects its output; a hung command is killed after timeoutMs. */
export function runIn(netns: string, argv: string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", netns, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d.toString()));
    child.stderr.on("data", (d) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => (clearTimeout(timer), reject(e)));
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** IPv4 addresses on the host, as 32-bit numbers (to keep a new /30 off them). */
function hostAddresses(): number[] {
  const out = execFileSync("ip", ["-o", "-4", "addr", "show"], { encoding: "utf8" });
  return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => toNumber(m[1]!));
}
const toNumber = (a: string) => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);
const toAddress = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");

/** A random /30 inside base/bits that no host address falls in: [network, host, peer]. */
function pickSlash30(base: string, bits: number): [number, number, number] {
  const taken = hostAddresses();
  const start = toNumber(base);
  for (let i = 0; i < 64; i++) {
    const net = start + (randomBytes(4).readUInt32BE() % 2 ** (32 - bits - 2)) * 4;
    if (!taken.some((a) => a >= net && a < net + 4)) return [net, net + 1, net + 2];
  }
  throw new Error(`no free /30 in ${base}/${bits}`);
}

interface Namespace {
  netns: string;
  hostIf: string;
  hostAddress: string;
  peerAddress: string;
  dir: string; // tandem-rig-<netns>-XXXX in the temp dir
  children: ChildProcess[];
  teardown: () => void;
}

/**
 * A netns named `<prefix><hex>`, a veth whose host end has the same name and whose other end is
 * eth0 inside, a /30 out of base/bits (host .1, netns .2, default route in the netns via the
 * host), and a temp dir. On a failure part-way, what was made is removed before the throw.
 */
function makeNamespace(prefix: string, base: string, bits: number): Namespace {
  const netns = `${prefix}${randomBytes(3).toString("hex")}`;
  const [, hostN, peerN] = pickSlash30(base, bits);
  const made = { netns: false, link: false }; // never remove a same-named object this rig did not make
  const ns: Namespace = {
    netns,
    hostIf: netns,
    hostAddress: toAddress(hostN),
    peerAddress: toAddress(peerN),
    dir: mkdtempSync(path.join(os.tmpdir(), `tandem-rig-${netns}-`)),
    children: [],
    teardown: () => {
      for (const c of ns.children) if (c.pid && running(c)) quietly(() => process.kill(c.pid!, "SIGKILL"));
      if (made.netns) quietly(() => ip(["netns", "del", netns]));
      // Deleting the netns takes the veth pair with it once its last process is gone; the host
      // end is removed here as well in case one was still on its way out.
      if (made.link) quietly(() => ip(["link", "del", netns]));
      rmSync(ns.dir, { recursive: true, force: true });
      untrack(ns.teardown);
    },
  };
  track(ns.teardown);
  try {
    ip(["netns", "add", netns]);
    made.netns = true;
    ip(["link", "add", netns, "type", "veth", "peer", "name", "eth0", "netns", netns]);
    made.link = true;
    ip(["addr", "add", `${ns.hostAddress}/30`, "dev", netns]);
    ip(["link", "set", netns, "up"]);
    const inNs = (args: string[]) => ip(["-n", netns, ...args]);
    inNs(["link", "set", "lo", "up"]);
    inNs(["addr", "add", `${ns.peerAddress}/30`, "dev", "eth0"]);
    inNs(["link", "set", "eth0", "up"]);
    inNs(["route", "add", "default", "via", ns.hostAddress]);
  } catch (e) {
    ns.teardown();
    throw e;
  }
  return ns;
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/**
 * Starts argv inside the netns as a tracked child (`ip netns exec` execs it: same PID). Its
 * stderr goes to <dir>/<label>.log, read on demand: a file, not a pipe, so what the process wrote
 * before answering a request is there when the answer arrives.
 */
function startIn(ns: Namespace, label: string, argv: string[]): { child: ChildProcess; stderr: () => string } {
  const log = path.join(ns.dir, `${label}.log`);
  const fd = openSync(log, "w");
  let spawnError = "";
  let child: ChildProcess;
  try {
    child = spawn("ip", ["netns", "exec", ns.netns, ...argv], { stdio: ["ignore", "ignore", fd] });
  } finally {
    closeSync(fd);
  }
  ns.children.push(child);
  child.on("error", (e) => (spawnError = String(e)));
  // The rig must not keep a test process alive on its own; exit handlers end these.
  child.unref();
  const stderr = () => {
    try {
      return readFileSync(log, "utf8") + spawnError;
    } catch {
      return spawnError; // stop() removed the dir
    }
  };
  return { child, stderr };
}

/** SIGTERM each child by PID, SIGKILL one that is still there after 5 s, then remove the rest. */
async function stopNamespace(ns: Namespace) {
  await Promise.all(
    ns.children.map(async (c) => {
      if (!c.pid || !running(c)) return;
      const exited = new Promise((r) => c.once("exit", r));
      quietly(() => process.kill(c.pid!, "SIGTERM"));
      const late = setTimeout(() => quietly(() => process.kill(c.pid!, "SIGKILL")), 5000);
      await exited;
      clearTimeout(late);
    }),
  );
  ns.teardown();
}

/** Polls `probe` until it returns true; fails early with a child's stderr if one exits. */
async function ready(
  what: string,
  probe: () => Promise<boolean>,
  procs: { child: ChildProcess; stderr: () => string }[],
) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const dead = procs.find((p) => !running(p.child));
    if (dead) throw new Error(`${what}: ${dead.child.spawnargs.slice(4).join(" ")} exited: ${dead.stderr()}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within 15 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET url from this process (the host's namespace), with a bound; the status and body. */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** A resolver that asks only `server` (one try, 2 s): never the host's own resolvers. */
export function resolverFor(server: string): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([server]);
  return r;
}

// ---- the two rigs ----------------------------------------------------------------------------

/** Once-only stop: every call returns the same promise. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | null = null;
  return () => (p ??= fn());
}

export interface UpstreamOptions {
  name?: string; // the DNS name served (default upstream.tandem.test)
  body?: string; // what GET / answers (default names the netns)
  dnsmasqOptions?: string[]; // more dnsmasq options, e.g. another --address=/name/addr
}

/** The upstream rig: netns, veth, busybox httpd on :80 and dnsmasq on :53, both answering once this resolves. */
export async function startUpstream(opts: UpstreamOptions = {}): Promise<Upstream> {
  const name = opts.name ?? UPSTREAM_NAME;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(name)) {
    throw new Error(`startUpstream: name ${JSON.stringify(name)} is not a dotted DNS name`);
  }
  const ns = makeNamespace("tdt-up-", "198.18.0.0", 15);
  const body = opts.body ?? `tandem upstream ${ns.netns}\n`;
  const stop = once(() => stopNamespace(ns));
  try {
    const www = path.join(ns.dir, "www");
    mkdirSync(www);
    writeFileSync(path.join(www, "index.html"), body);
    const httpd = startIn(ns, "httpd", ["busybox", "httpd", "-f", "-v", "-p", `${ns.peerAddress}:80`, "-h", www]);
    const dns = startIn(ns, "dnsmasq", [
      "dnsmasq",
      `--pid-file=${path.join(ns.dir, "dnsmasq.pid")}`, // first: leftovers.sh shows 120 characters
      "--no-daemon",
      "--conf-file=/dev/null",
      "--no-resolv",
      "--no-hosts",
      "--bind-interfaces",
      `--listen-address=${ns.peerAddress}`,
      "--port=53",
      `--address=/${name}/${ns.peerAddress}`,
      ...(opts.dnsmasqOptions ?? []),
    ]);
    const httpUrl = `http://${ns.peerAddress}/`;
    await ready("upstream HTTP", async () => (await httpGet(httpUrl, 1000)).body === body, [httpd, dns]);
    const resolver = resolverFor(ns.peerAddress);
    await ready("upstream DNS", async () => (await resolver.resolve4(name)).includes(ns.peerAddress), [httpd, dns]);
    return {
      name,
      netns: ns.netns,
      hostIf: ns.hostIf,
      hostAddress: ns.hostAddress,
      upstreamAddress: ns.peerAddress,
      prefixLength: 30,
      httpUrl,
      body,
      dnsServer: ns.peerAddress,
      pids: [httpd.child.pid!, dns.child.pid!],
      // httpd -v logs "<addr>:<port>: response:<status>" on stderr before it sends the response.
      requests: () =>
        [...httpd.stderr().matchAll(/^(\S+):\d+: response:(\d+)$/gm)].map((m) => ({
          from: m[1]!,
          status: Number(m[2]),
        })),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The client rig: netns and veth only; the test runs its own probes in it with run(). */
export async function startClient(): Promise<Client> {
  const ns = makeNamespace("tdt-cl-", "198.51.100.0", 24);
  return {
    netns: ns.netns,
    hostIf: ns.hostIf,
    hostAddress: ns.hostAddress,
    clientAddress: ns.peerAddress,
    prefixLength: 30,
    run: (argv, timeoutMs) => runIn(ns.netns, argv, timeoutMs),
    stop: once(() => stopNamespace(ns)),
  };
}
