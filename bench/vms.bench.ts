// VMs on the real libvirtd: API create → running and → serial banner beside `qemu-img create` +
// `virsh define` + `virsh start` of the same domain (Tandem's XML, renamed); console keystroke
// round trip through socket.io beside the driver's own stream; one bulk stats call for 1 and 10 VMs beside `virsh domstats`.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Guest } from "../server/contract/guest";
import { LOCAL_HOST_ID } from "../server/domain/ids";
import { LibvirtDriver } from "../server/drivers/vm";
import { baselinePlus, median, timeMs, type Bench } from "./harness";
import { benchServer, connectSocket, sleep, until, waitTask } from "./support";

const demoDir = path.resolve(import.meta.dirname, "../data/images/demo");
const virsh = (...args: string[]) => execFileSync("virsh", ["-c", "qemu:///system", ...args], { encoding: "utf8" });

const manifest = () => JSON.parse(readFileSync(path.join(demoDir, "manifest.json"), "utf8"));

/**
 * By hand, timed from the first step: the overlay on the demo disk with qemu-img, then
 * `virsh define` + `virsh start` of `xml` (which names `disk`); `after` runs while it runs
 * (untimed beyond its own measure), then the domain is destroyed and undefined.
 */
async function byHand<T>(
  name: string,
  xml: string,
  disk: string,
  after: (t0: number) => Promise<T>,
): Promise<{ runningMs: number; then: T }> {
  const xmlFile = disk.replace(/\.qcow2$/, ".xml");
  writeFileSync(xmlFile, xml);
  const t0 = performance.now();
  execFileSync("qemu-img", [
    "create",
    "-q",
    "-f",
    "qcow2",
    "-b",
    path.join(demoDir, manifest().vm.disk),
    "-F",
    "qcow2",
    disk,
  ]);
  virsh("define", xmlFile);
  virsh("start", name);
  const runningMs = performance.now() - t0;
  try {
    return { runningMs, then: await after(t0) };
  } finally {
    virsh("destroy", name);
    virsh("undefine", name);
  }
}

/**
 * What a user does by hand for the same VM: the very domain Tandem defined (its inactive XML
 * under another name, uuid, disk and serial log; MAC and metadata dropped) — the same disk work
 * and devices (user NIC, VNC, rng), so the difference is Tandem's own. Returns its timings.
 */
async function virshSameDomain(
  tmp: string,
  name: string,
  tandemXml: string,
): Promise<{ runningMs: number; bannerMs: number }> {
  const disk = path.join(tmp, `${name}.qcow2`);
  const log = path.join(tmp, `${name}.log`);
  const xml = tandemXml
    .replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`)
    .replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${randomUUID()}</uuid>`)
    .replace(/<metadata>[\s\S]*?<\/metadata>/, "")
    .replace(/<mac address=[^>]*\/>/g, "")
    .replace(/<source file='[^']*\/vms\/[0-9a-f-]{36}\/disk\.qcow2'/, `<source file='${disk}'`)
    .replace(/<log file='[^']*'/, `<log file='${log}'`);
  if (!xml.includes(disk) || !xml.includes(log)) throw new Error("the demo VM's XML has no disk or serial log to swap");
  const r = await byHand(name, xml, disk, (t0) => bannerIn(log, t0));
  return { runningMs: r.runningMs, bannerMs: r.then };
}

/** A minimal domain for the demo kernel (disk and serial only: no NIC, VNC, rng), for the note. */
async function virshMinimal(tmp: string, name: string): Promise<number> {
  const m = manifest();
  const disk = path.join(tmp, `${name}.qcow2`);
  const xml = `<domain type='qemu'><name>${name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><kernel>${path.join(demoDir, m.vm.kernel)}</kernel>
<initrd>${path.join(demoDir, m.vm.initrd)}</initrd><cmdline>${m.vm.cmdline}</cmdline></os><features><acpi/></features>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/>
<backingStore type='file'><format type='qcow2'/><source file='${path.join(demoDir, m.vm.disk)}'><seclabel model='dac' relabel='no'/></source><backingStore/></backingStore>
<target dev='vda' bus='virtio'/></disk>
<serial type='pty'><log file='${path.join(tmp, `${name}.log`)}' append='off'/></serial><console type='pty'/></devices></domain>`;
  return (await byHand(name, xml, disk, async () => undefined)).runningMs;
}

/**
 * Time from t0 until the demo's banner is in a serial log (NaN after 120 s). Waits without
 * blocking: the server and its socket run in this process (a blocked loop outlives the socket's
 * ping timeout under load, and the next task's events never arrive).
 */
async function bannerIn(log: string, t0: number): Promise<number> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (existsSync(log) && readFileSync(log, "utf8").includes("Tandem demo VM ready")) return performance.now() - t0;
    await sleep(50);
  }
  return NaN;
}

const bench: Bench = {
  title: "VMs (libvirt, real QEMU)",
  async run() {
    const tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-vm-bench-"));
    // QEMU runs as libvirt-qemu: the bare domains' files must be reachable through this dir, and
    // their backing file (the shared demo base) is pinned unrelabelled, as Tandem does.
    chmodSync(tmp, 0o711);
    const { server, admin, stop } = await benchServer({
      driverFactory: (dataDir) => [
        new LibvirtDriver({
          uri: "qemu:///system",
          hostId: LOCAL_HOST_ID,
          dataDir,
          logger: pino({ level: "silent" }),
          isolatedNetwork: { name: "tandem-bench-net", bridge: "tdmbenchvm0", prefix: "10.231.11" },
        }),
      ],
      demoImageDir: demoDir,
    });
    const socket = await connectSocket(server.url, { cookie: admin.cookie });
    const ids: string[] = [];
    try {
      const apiRunning: number[] = [];
      const apiBanner: number[] = [];
      const bare: { runningMs: number; bannerMs: number }[] = [];
      const minimal: number[] = [];
      let text = "";
      socket.on("console:data", (p) => (text += new TextDecoder().decode(p.data as ArrayBuffer)));
      // When each task ended, as the browser learns it (task:update), not a poll's next tick.
      const ended = new Map<string, { at: number; error: string | null }>();
      socket.on("task:update", (t) => {
        if (t.state === "succeeded" || t.state === "failed") ended.set(t.id, { at: performance.now(), error: t.error });
      });
      let lastConsole = "";
      // Five pairs, each Tandem then virsh: on a shared machine the spread run to run is ~30 %.
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
          kind: "vm",
          name: `bench-vm-${i}`,
          image: "demo-vm",
          vcpus: 1,
          memoryMiB: 256,
          network: "user",
        });
        ids.push(res.body.guest.id);
        await until(() => ended.has(res.body.taskId), 120_000, 5);
        const end = ended.get(res.body.taskId)!;
        if (end.error !== null) throw new Error(`create failed: ${end.error}`);
        apiRunning.push(end.at - t0);
        text = "";
        const opened = await new Promise<{ ok: boolean; data?: { consoleId: string } }>((r) =>
          socket.emit("console:open", { guestId: res.body.guest.id, cols: 80, rows: 24 }, r),
        );
        lastConsole = opened.data!.consoleId;
        // The serial log keeps output from power-on; the console shows the banner or a prompt.
        await until(() => text.includes("Tandem demo VM ready"), 120_000, 20);
        apiBanner.push(performance.now() - t0);
        const tandemXml = virsh("dumpxml", "--inactive", res.body.guest.id.split(".")[2]!);
        bare.push(await virshSameDomain(tmp, `tandem-bench-bare-${i}-${process.pid}`, tandemXml));
        minimal.push(await virshMinimal(tmp, `tandem-bench-min-${i}-${process.pid}`));
      }

      // Keystroke round trip: one character typed, until its echo comes back. A console that
      // does not echo leaves this row n/a with the reason; the other rows are still measured.
      await sleep(1000);
      const rtt: number[] = [];
      let rttFailure: string | null = null;
      try {
        for (let i = 0; i < 20; i++) {
          const ch = String.fromCharCode(97 + (i % 26));
          text = "";
          rtt.push(
            await timeMs(async () => {
              socket.emit("console:input", { consoleId: lastConsole, data: ch });
              await until(() => text.includes(ch), 5000, 1);
            }),
          );
        }
      } catch (err) {
        rttFailure = `no echo after ${rtt.length} keystrokes: ${err instanceof Error ? err.message : String(err)}`;
      }
      socket.emit("console:input", { consoleId: lastConsole, data: "\u0015" }); // clear the line

      // Stats: one bulk call for 1 and for up to 10 running VMs.
      const driver = server.drivers.forKind("vm");
      const statsRows = [];
      for (const n of [1, 10]) {
        while (ids.length < n) {
          const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
            kind: "vm",
            name: `bench-vm-${ids.length}`,
            image: "demo-vm",
            vcpus: 1,
            memoryMiB: 128,
            network: "user",
          });
          ids.push(res.body.guest.id);
          await waitTask(admin, res.body.taskId);
        }
        const some = ids.slice(0, n);
        const ours: number[] = [];
        const theirs: number[] = [];
        for (let i = 0; i < 10; i++) {
          ours.push(await timeMs(() => driver.sample(some)));
          const uuids = some.map((id) => id.split(".")[2]!);
          theirs.push(
            await timeMs(async () =>
              virsh("domstats", "--state", "--cpu-total", "--balloon", "--block", "--interface", ...uuids),
            ),
          );
        }
        statsRows.push({
          name: `stats for ${n} running VM${n > 1 ? "s" : ""} (one bulk call)`,
          value: median(ours),
          unit: "ms",
          baseline: { name: "`virsh domstats` same groups", value: median(theirs) },
        });
      }
      const bareRunning = median(bare.map((b) => b.runningMs));
      return [
        {
          name: "API create → running (demo VM)",
          value: median(apiRunning),
          unit: "ms",
          baseline: { name: "`qemu-img create` + `virsh define` + `start`, same domain", value: bareRunning },
          targets: [baselinePlus(100, bareRunning, "`virsh define` + `start`", "ms")],
          note:
            `median of ${apiRunning.length}, to the task:update event; each followed by virsh with Tandem's XML ` +
            `(its overlay made inside the timing, as Tandem's is); a minimal domain (disk + serial, no NIC/VNC/rng): ` +
            `${Math.round(median(minimal))} ms; median of the pairs' differences ` +
            `${Math.round(median(apiRunning.map((a, i) => a - bare[i]!.runningMs)))} ms`,
        },
        {
          name: "API create → serial banner",
          value: median(apiBanner) / 1000,
          unit: "s",
          baseline: {
            name: "virsh, same domain → banner in serial log",
            value: median(bare.map((b) => b.bannerMs)) / 1000,
          },
          note: "TCG where the CPU lacks vmx/svm",
        },
        {
          name: "console keystroke round trip (browser protocol)",
          value: rttFailure ? NaN : median(rtt),
          unit: "ms",
          note: rttFailure ?? "socket.io → virStream → guest echo → back",
        },
        ...statsRows,
      ];
    } finally {
      socket.close();
      for (const id of ids) {
        const r = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
        if (r.status === 202) await waitTask(admin, r.body.taskId).catch(() => {});
      }
      await stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
export default bench;
