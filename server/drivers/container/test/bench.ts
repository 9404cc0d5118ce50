// Container driver benchmark (real conmon + crun), run as root:
//   npx tsx server/drivers/container/test/bench.ts [--json FILE] [--containers 20] [--runs 10]
// Measures, in one run on the same busybox rootfs: driver create → running and remove (with the
// user namespace and disk, and without both, interleaved), the disk image alone, bare
// `crun run -d` / `crun delete -f` (through the same runtime command; the spec as written, with
// crun compiling its seccomp section, and without seccomp, interleaved), console keystroke round
// trip, exec open, and the cost of one bulk sample() per container. Prints medians.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { median } from "../../../test/support";
import { hostConfinement } from "../oci/confinement";
import { ContainerDriver } from "../oci/driver";
import { buildSpec, SECCOMP_BPF_ANNOTATION } from "../oci/spec";
import { createLayerImage, GiB } from "../oci/writable-layer";
import { makeEnv, waitForOutput } from "./support";
import { prepareHostRuntime } from "../oci/host";

const args = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const jsonOut = args.includes("--json") ? args[args.indexOf("--json") + 1] : undefined;
const RUNS = opt("runs", 10);
const CONTAINERS = opt("containers", 20);

const r2 = (n: number) => Math.round(n * 100) / 100;

const env = makeEnv();
const results: Record<string, number | string> = {};
try {
  const d = env.driver;
  await d.list(); // driver ready, bridge made on first create below
  await d.remove((await d.create(env.spec({ command: ["sleep", "1000"] }), () => {})).id, { purgeDisks: true });

  // 1. driver create → running, remove: as shipped (user namespace + a 4 GiB disk, the default
  // size) and, interleaved in the same run, the old configuration (no user namespace, upper dir
  // on the data dir's file system) through a second driver on the same data dir.
  const old = new ContainerDriver({ ...env.opts, userNamespace: false, diskQuota: false });
  const containersDir = path.join(env.dataDir, "containers");
  const until = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 5));
  };
  await old.list();
  const create: number[] = [];
  const remove: number[] = [];
  const createOld: number[] = [];
  const removeOld: number[] = [];
  const disk: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const [drv, c, r, o] of [
        [d, create, remove, { diskGiB: 4 }],
        [old, createOld, removeOld, {}],
      ] as const) {
        let t = performance.now();
        const g = await drv.create(env.spec({ command: ["sleep", "1000"], ...o }), () => {});
        c.push(performance.now() - t);
        t = performance.now();
        await drv.remove(g.id, { purgeDisks: true });
        r.push(performance.now() - t);
        // A removed disk image is freed in the background: let that finish so the next create
        // is not charged for it.
        await until(() => !readdirSync(containersDir).some((f) => f.startsWith(".removed-disk-")));
      }
      // The disk image alone (fallocate + mkfs.ext4), the largest new step.
      const img = path.join(env.tmp, `disk-${i}.ext4`);
      const t = performance.now();
      await createLayerImage(img, 4 * GiB);
      disk.push(performance.now() - t);
      rmSync(img);
    }
  } finally {
    await old.close();
  }
  console.error("driver create/remove done");
  results.driverCreateToRunningMs = r2(median(create));
  results.driverRemoveRunningMs = r2(median(remove));
  results.driverCreateToRunningNoUsernsNoQuotaMs = r2(median(createOld));
  results.driverRemoveRunningNoUsernsNoQuotaMs = r2(median(removeOld));
  results.diskImageCreateMs = r2(median(disk));

  // 2. bare crun run -d / delete -f on the same rootfs (overlay mounted once, not timed)
  // The same runtime command and tini the driver uses, from the module that prepares them.
  const runtime = prepareHostRuntime({ dataDir: env.dataDir });
  const bundle = path.join(env.tmp, "bare");
  for (const sub of ["upper", "work", "rootfs"]) mkdirSync(path.join(bundle, sub), { recursive: true });
  execFileSync("mount", [
    "-t",
    "overlay",
    "overlay",
    "-o",
    `lowerdir=${env.rootfs},upperdir=${bundle}/upper,workdir=${bundle}/work`,
    `${bundle}/rootfs`,
  ]);
  const etc = path.join(bundle, "etc");
  mkdirSync(etc);
  for (const f of ["hostname", "hosts", "resolv.conf"]) writeFileSync(path.join(etc, f), "");
  const spec = buildSpec({
    image: { config: { Cmd: ["sleep", "1000"] } },
    rootfs: `${bundle}/rootfs`,
    hostname: "bare",
    vcpus: 1,
    memoryMiB: 64,
    tiniPath: runtime.tiniPath,
    netnsPath: null,
    cgroupsPath: `/${env.opts.cgroupParent}/bare`,
    etcFiles: { hostname: `${etc}/hostname`, hosts: `${etc}/hosts`, resolvConf: `${etc}/resolv.conf` },
    user: { uid: 0, gid: 0 },
    swapAccounting: false,
    confinement: hostConfinement(),
  });
  spec.process.terminal = false;
  // The same container three ways, interleaved: as Tandem writes it (seccomp precompiled, passed
  // as an annotation), with crun compiling the seccomp section itself, and with no seccomp.
  const variants = {
    shipped: spec,
    crunCompiles: { ...spec, annotations: { ...spec.annotations, [SECCOMP_BPF_ANNOTATION]: undefined } },
    noSeccomp: {
      ...spec,
      annotations: { ...spec.annotations, [SECCOMP_BPF_ANNOTATION]: undefined },
      linux: { ...spec.linux, seccomp: undefined },
    },
  };
  for (const [name, v] of Object.entries(variants)) {
    mkdirSync(path.join(bundle, name));
    writeFileSync(path.join(bundle, name, "config.json"), JSON.stringify(v));
  }
  const bareRun: Record<keyof typeof variants, number[]> = { shipped: [], crunCompiles: [], noSeccomp: [] };
  const bareDel: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      for (const name of Object.keys(variants) as (keyof typeof variants)[]) {
        const id = `tandem-bench-${process.pid}-${i}-${name}`;
        let t = performance.now();
        // No pipes: the detached container would inherit them and keep spawnSync waiting.
        const r = spawnSync(runtime.runtimeCommand, ["run", "-d", "--bundle", path.join(bundle, name), id], {
          stdio: "ignore",
        });
        bareRun[name].push(performance.now() - t);
        if (r.status !== 0) throw new Error(`crun run (${name}) failed with status ${r.status}`);
        t = performance.now();
        spawnSync(runtime.runtimeCommand, ["delete", "-f", id], { stdio: "ignore" });
        bareDel.push(performance.now() - t);
      }
    }
  } finally {
    execFileSync("umount", [`${bundle}/rootfs`]);
  }
  results.bareCrunRunDetachedMs = r2(median(bareRun.shipped));
  results.bareCrunRunSeccompCompiledByCrunMs = r2(median(bareRun.crunCompiles));
  results.bareCrunRunNoSeccompMs = r2(median(bareRun.noSeccomp));
  results.bareCrunDeleteForceMs = r2(median(bareDel));

  // 3. console keystroke round trip (attach socket → pty echo → attach socket)
  const g = await d.create(env.spec({ command: ["sh"] }), () => {});
  const c = await d.openConsole(g.id, { rows: 24, cols: 80 });
  await new Promise((r) => setTimeout(r, 200));
  const rtt: number[] = [];
  for (let i = 0; i < 50; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const t = performance.now();
    const got = waitForOutput(c, new RegExp(`${ch}$`), 5000);
    c.write(Buffer.from(ch));
    await got;
    rtt.push(performance.now() - t);
  }
  c.write(Buffer.from("\u0015")); // clear the line
  results.consoleKeystrokeRoundTripMs = r2(median(rtt));
  // A whole command: the shell reads the line, runs a builtin, prints the answer.
  const line: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    const got = waitForOutput(c, new RegExp(`ok${i + 1000}\\r\\n`), 5000);
    c.write(Buffer.from(`echo ok$((${i} + 1000))\n`));
    await got;
    line.push(performance.now() - t);
  }
  c.close();
  results.consoleCommandRoundTripMs = r2(median(line));

  // 4. exec open → first prompt
  const execOpen: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const x = await d.exec(g.id, ["/bin/sh"], { rows: 24, cols: 80 });
    await waitForOutput(x, /# /);
    execOpen.push(performance.now() - t);
    x.close();
  }
  results.execOpenToPromptMs = r2(median(execOpen));
  await d.remove(g.id, { purgeDisks: true });

  // 5. bulk sample() cost with N running containers
  const ids: string[] = [];
  for (let i = 0; i < CONTAINERS; i++)
    ids.push((await d.create(env.spec({ command: ["sleep", "1000"] }), () => {})).id);
  const sample: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const s = await d.sample(ids);
    sample.push(performance.now() - t);
    if (s.length !== ids.length) throw new Error("sample missed containers");
  }
  const listT: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await d.list();
    listT.push(performance.now() - t);
  }
  results.containersSampled = CONTAINERS;
  results.sampleAllMs = r2(median(sample));
  results.samplePerContainerMs = r2(median(sample) / CONTAINERS);
  results.listAllMs = r2(median(listT));
  for (const id of ids) await d.remove(id, { purgeDisks: true });
} finally {
  const leftovers = await env.cleanup();
  if (leftovers.length) results.leftovers = leftovers.join(", ");
}
for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(30)} ${v}\n`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ at: new Date().toISOString(), ...results }, null, 2));
