// The fault rig: a Tandem *process* (child-main.ts) on its own data directory, database, port and
// host object names; fault-injection wrappers for the host tools Tandem runs (`mount`, `ip`,
// `qemu-img`) that hold a matching call until the test has killed Tandem; an inventory of every
// host object a guest can leave behind; and a sweep that removes all of them, also on failure.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { LOCAL_HOST_ID } from "../../domain/ids";
import { ContainerDriver } from "../../drivers/container";
import { cgroupDirs, detectCgroupLayout } from "../../drivers/container/oci/cgroups";
import { vethName } from "../../drivers/container/oci/network";
import { ADMIN_PASSWORD, Client, until } from "../harness";
import { answers, backend } from "../backends";
import { freePort } from "../support";
import { HELD_CALL_FILE, HOLD_CALL_ENV, HOLD_DIR_ENV } from "./held-calls";
import { faultNames, type FaultNames } from "./names";

export const ROOT = path.resolve(import.meta.dirname, "../../..");
export const DEMO_DIR = path.join(ROOT, "data", "images", "demo");
const LIBVIRT_URI = process.env.TANDEM_LIBVIRT_URI ?? "qemu:///system";

const isRoot = process.getuid?.() === 0;
const haveDemo = () => existsSync(path.join(DEMO_DIR, "manifest.json"));
// Under TANDEM_TEST_STRICT=1 a missing part throws, naming it (../backends.ts).
export const HAVE_CONTAINERS = backend(
  "root, /usr/bin/crun, /usr/bin/conmon and the demo images",
  isRoot && ["/usr/bin/crun", "/usr/bin/conmon"].every((p) => existsSync(p)) && haveDemo(),
);

export function haveLibvirt(): boolean {
  return backend(
    `root, the demo images and libvirtd answering on ${LIBVIRT_URI}`,
    isRoot && haveDemo() && answers("virsh", ["-c", LIBVIRT_URI, "version"]),
  );
}

/** Host tools Tandem runs whose calls the rig can hold. */
const WRAPPED = ["mount", "ip", "qemu-img"] as const;
export type Wrapped = (typeof WRAPPED)[number];

export interface TandemProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  exited: Promise<number | null>;
  /** A signed-in admin client. */
  admin: Client;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export class FaultRig {
  readonly tag = randomBytes(3).toString("hex");
  readonly names: FaultNames = faultNames(this.tag);
  readonly tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-fault-"));
  readonly dataDir = path.join(this.tmp, "data");
  readonly wrapDir = path.join(this.tmp, "wrap");
  readonly holdDir = path.join(this.tmp, "hold");
  /** Guest names start with this, so a sweep can find every domain the run made. */
  readonly prefix = `tdf-${this.tag}`;
  private readonly children: ChildProcess[] = [];
  private readonly heldPids = new Set<number>();
  private port = 0;

  constructor(readonly drivers: string) {
    // Guests reach their files through the data directory's parents (QEMU as libvirt-qemu,
    // user-namespaced container roots): searchable, not listable, like the data dir itself.
    chmodSync(this.tmp, 0o711);
    mkdirSync(this.dataDir, { recursive: true });
    mkdirSync(this.holdDir);
    mkdirSync(this.wrapDir);
    copyFileSync(process.env.TANDEM_TEST_TEMPLATE_DB!, path.join(this.dataDir, "tandem.db"));
    for (const tool of WRAPPED) {
      const real = execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
      const script = [
        "#!/bin/sh",
        "# Tandem fault tests: holds a matching call while the hold file exists, so that the test",
        "# can kill Tandem right here. If Tandem dies meanwhile, the real tool never runs. The",
        '# hold file holds a shell pattern that " <arguments> " must match.',
        `hold='${this.holdDir}/hold-${tool}'`,
        'if [ -f "$hold" ] && case " $* " in $(cat "$hold")) true ;; *) false ;; esac; then',
        "  parent=$PPID",
        `  echo $$ > '${this.holdDir}/held-${tool}'`,
        '  while [ -f "$hold" ]; do',
        '    kill -0 "$parent" 2>/dev/null || exit 99',
        "    sleep 0.05",
        "  done",
        "fi",
        `exec '${real}' "$@"`,
        "",
      ].join("\n");
      writeFileSync(path.join(this.wrapDir, tool), script);
      chmodSync(path.join(this.wrapDir, tool), 0o755);
    }
  }

  /** Holds the next call of `tool` whose " <arguments> " match the shell pattern. */
  hold(tool: Wrapped, pattern: string): void {
    rmSync(path.join(this.holdDir, `held-${tool}`), { force: true });
    writeFileSync(path.join(this.holdDir, `hold-${tool}`), pattern);
  }

  release(tool: Wrapped): void {
    rmSync(path.join(this.holdDir, `hold-${tool}`), { force: true });
  }

  /** Resolves with the wrapper's pid once Tandem is blocked in a held call. */
  async waitHeld(tool: Wrapped, timeoutMs = 60_000): Promise<number> {
    const file = path.join(this.holdDir, `held-${tool}`);
    const pid = await until(
      () => (existsSync(file) ? Number(readFileSync(file, "utf8").trim()) || null : null),
      timeoutMs,
      20,
    );
    this.heldPids.add(pid);
    return pid;
  }

  /** The environment for a start whose first `spec` driver call (held-calls.ts) never returns. */
  holdCall(spec: string): Record<string, string> {
    rmSync(path.join(this.holdDir, HELD_CALL_FILE), { force: true });
    return { [HOLD_CALL_ENV]: spec, [HOLD_DIR_ENV]: this.holdDir };
  }

  /** Resolves once the held driver call has been made. */
  async waitHeldCall(timeoutMs = 60_000): Promise<void> {
    await until(() => existsSync(path.join(this.holdDir, HELD_CALL_FILE)), timeoutMs, 20);
  }

  async start(extraEnv: Record<string, string> = {}): Promise<TandemProcess> {
    this.port ||= await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/test/faults/child-main.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        PATH: `${this.wrapDir}:${process.env.PATH}`,
        TANDEM_DATA_DIR: this.dataDir,
        DATABASE_URL: `file:${path.join(this.dataDir, "tandem.db")}`,
        TANDEM_DRIVERS: this.drivers,
        TANDEM_UI: "off",
        TANDEM_PORT: String(this.port),
        TANDEM_ADMIN_PASSWORD: ADMIN_PASSWORD,
        TANDEM_LOG_LEVEL: "warn",
        TANDEM_FAULT_TAG: this.tag,
        TANDEM_DEMO_DIR: DEMO_DIR,
        ...extraEnv,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.push(child);
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    let dead = false;
    void exited.then(() => (dead = true));
    await until(
      () => {
        if (dead) throw new Error(`tandem exited during start:\n${out}`);
        return out.includes("==> serving");
      },
      90_000,
      50,
    );
    const url = `http://127.0.0.1:${this.port}`;
    const admin = new Client(url);
    const res = await admin.login();
    if (res.status !== 200) throw new Error(`admin login failed: ${res.status}`);
    return {
      child,
      url,
      admin,
      output: () => out,
      exited,
      kill9: async () => {
        child.kill("SIGKILL");
        await exited;
      },
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const t = setTimeout(() => child.kill("SIGKILL"), 15_000);
          await exited;
          clearTimeout(t);
        }
      },
    };
  }

  /** Every host object a container with this uuid could own that still exists. */
  containerLeftovers(uuid: string): string[] {
    const out: string[] = [];
    const dir = path.join(this.dataDir, "containers", uuid);
    if (existsSync(dir)) out.push(`directory ${dir}`);
    for (const m of mountsUnder(this.tmp)) if (m.includes(uuid)) out.push(`mount ${m}`);
    if (existsSync(`/run/netns/${this.names.netnsPrefix}${uuid}`)) out.push(`netns ${this.names.netnsPrefix}${uuid}`);
    if (existsSync(`/sys/class/net/${vethName(uuid)}`)) out.push(`veth ${vethName(uuid)}`);
    for (const d of cgroupDirs(detectCgroupLayout(), `/${this.names.cgroupParent}/${uuid}`)) {
      if (existsSync(d)) out.push(`cgroup ${d}`);
    }
    for (const pid of processesWith(uuid)) out.push(`process ${pid}: ${cmdline(pid)}`);
    return out;
  }

  /** Every host object a VM with this uuid could own that still exists. */
  vmLeftovers(uuid: string): string[] {
    const out: string[] = [];
    const dir = path.join(this.dataDir, "vms", uuid);
    if (existsSync(dir)) out.push(`directory ${dir} (${readdirSync(dir).join(", ") || "empty"})`);
    if (virsh(["list", "--all", "--uuid"]).includes(uuid)) out.push(`domain ${uuid}`);
    for (const pid of processesWith(uuid)) out.push(`process ${pid}: ${cmdline(pid).slice(0, 100)}`);
    return out;
  }

  /** Removes everything the run made: processes, guests, host objects, files. Never throws. */
  async cleanup(): Promise<void> {
    const step = async (what: string, fn: () => unknown) => {
      try {
        await fn();
      } catch (e) {
        console.error(`fault rig cleanup: ${what} failed:`, e);
      }
    };
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const pid of this.heldPids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await step("hold files", () => readdirSync(this.holdDir).forEach((f) => rmSync(path.join(this.holdDir, f))));
    if (this.drivers.includes("oci")) await step("containers", () => this.sweepContainers());
    if (this.drivers.includes("libvirt")) await step("VMs", () => this.sweepVms());
    for (const m of mountsUnder(this.tmp).reverse()) await step(`umount ${m}`, () => execFileSync("umount", ["-l", m]));
    rmSync(this.tmp, { recursive: true, force: true });
  }

  private async sweepContainers(): Promise<void> {
    await sweepContainerHost(this.names, this.dataDir);
  }

  private sweepVms(): void {
    const names = virsh(["list", "--all", "--name"])
      .split("\n")
      .map((s) => s.trim())
      .filter((n) => n.startsWith(this.prefix));
    for (const n of names) {
      try {
        virsh(["destroy", n]);
      } catch {
        // not running
      }
      try {
        virsh(["undefine", n, "--nvram", "--snapshots-metadata"]);
      } catch {
        // gone
      }
      rmSync(`/var/log/libvirt/qemu/${n}.log`, { force: true });
    }
    if (virsh(["net-list", "--all", "--name"]).includes(this.names.vmNetwork.name)) {
      try {
        virsh(["net-destroy", this.names.vmNetwork.name]);
      } catch {
        // not active
      }
      virsh(["net-undefine", this.names.vmNetwork.name]);
    }
  }
}

/**
 * Removes every container and host object made under these names: containers (through a fresh
 * driver, which also re-adopts what a killed Tandem left), bridge, nft table, cgroups, netns.
 */
export async function sweepContainerHost(names: FaultNames, dataDir: string): Promise<void> {
  const d = new ContainerDriver({
    hostId: LOCAL_HOST_ID,
    dataDir,
    logger: pino({ level: "silent" }),
    bridge: names.bridge,
    subnet: names.subnet,
    nftTable: names.nftTable,
    cgroupParent: names.cgroupParent,
    netnsPrefix: names.netnsPrefix,
    shutdownTimeoutMs: 1000,
  });
  try {
    for (const g of await d.list()) await d.remove(g.id, { purgeDisks: true }).catch(() => undefined);
  } catch {
    // the driver could not start; the manual sweep below still runs
  }
  await d.close().catch(() => undefined);
  await d.network.destroy().catch(() => undefined);
  for (const ns of existsSync("/run/netns") ? readdirSync("/run/netns") : []) {
    if (ns.startsWith(names.netnsPrefix)) execFileSync("ip", ["netns", "del", ns]);
  }
  // A cgroup can stay busy for a moment after its last process died.
  const parents = cgroupDirs(detectCgroupLayout(), `/${names.cgroupParent}`).filter((p) => existsSync(p));
  for (let attempt = 0; attempt < 30 && parents.some((p) => existsSync(p)); attempt++) {
    for (const parent of parents.filter((p) => existsSync(p))) {
      try {
        for (const child of readdirSync(parent, { withFileTypes: true })) {
          if (child.isDirectory()) rmSync(path.join(parent, child.name), { recursive: false, force: true });
        }
        execFileSync("rmdir", [parent], { stdio: "ignore" });
      } catch {
        // busy: try again
      }
    }
    if (parents.some((p) => existsSync(p))) await new Promise((r) => setTimeout(r, 100));
  }
}

/** SQLite's own verdict on a database file: "ok" when it is sound. */
/** Moves every WAL frame into the database file and empties the WAL. */
export async function checkpoint(dbFile: string): Promise<void> {
  const { createClient } = await import("@libsql/client");
  const c = createClient({ url: `file:${dbFile}` });
  try {
    await c.execute("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    c.close();
  }
}

export async function integrityCheck(dbFile: string): Promise<string> {
  const { createClient } = await import("@libsql/client");
  const c = createClient({ url: `file:${dbFile}` });
  try {
    const rows = (await c.execute("PRAGMA integrity_check")).rows.map((r) => String(Object.values(r)[0]));
    const fk = (await c.execute("PRAGMA foreign_key_check")).rows.length;
    return [...rows, ...(fk ? [`${fk} foreign key violations`] : [])].join("; ");
  } finally {
    c.close();
  }
}

export function virsh(args: string[]): string {
  return execFileSync("virsh", ["-c", LIBVIRT_URI, ...args], { encoding: "utf8", timeout: 30_000 });
}

export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4])
    .filter((m): m is string => !!m && m.startsWith(dir + "/"));
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
  } catch {
    return "";
  }
}

/** Processes whose command line or cgroup names this uuid (conmon, crun, a container, QEMU). */
export function processesWith(uuid: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      if (cmdline(Number(p)).includes(uuid) || readFileSync(`/proc/${p}/cgroup`, "utf8").includes(uuid)) {
        pids.push(Number(p));
      }
    } catch {
      // gone
    }
  }
  return pids;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const uuidOf = (id: string) => id.split(".")[2]!;
