// Shared set-up for the attack tests that start inside a container: the container driver's test
// environment (own bridge, cgroup parent, data dir) plus an image "probe:test" made of the busybox
// root file system and one more layer holding fixtures/probe.c compiled statically here (busybox
// cannot make raw system calls), a way to run a shell command in a running container, and the
// before/after hooks of a test file that attacks from one container.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import type { DriverGuest, GuestSpec, ResolvedImage } from "../../../domain/driver";
import { goArch, OciImageStore } from "../../../drivers/container/oci/image-store";
import { execScript, makeEnv, type TestEnv } from "../../../drivers/container/test/support";
import { makeTar } from "../../../drivers/container/test/tar-writer";

export const PROBE = "/usr/local/bin/probe";

export interface ProbeEnv extends TestEnv {
  image: ResolvedImage;
}

/** A driver test environment with the probe image in its store. Needs gcc and libc6-dev. */
export async function makeProbeEnv(): Promise<ProbeEnv> {
  const env = makeEnv();
  const bin = path.join(env.tmp, "probe");
  execFileSync("gcc", ["-static", "-O2", "-Wall", "-o", bin, path.join(import.meta.dirname, "fixtures/probe.c")]);
  const store = new OciImageStore(env.dataDir);
  await store.init();
  const base = await store.importRootfs(env.rootfs);
  const layerFile = path.join(env.tmp, "probe-layer.tar");
  writeFileSync(
    layerFile,
    makeTar([
      { name: "usr/", type: "dir" },
      { name: "usr/local/", type: "dir" },
      { name: "usr/local/bin/", type: "dir" },
      { name: "usr/local/bin/probe", body: readFileSync(bin), mode: 0o755 },
    ]),
  );
  const layer = await store.addLayer(layerFile);
  const img = await store.writeImage(
    {
      architecture: goArch(),
      os: "linux",
      config: { Cmd: ["/bin/sh"], Env: ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"] },
      rootfs: { type: "layers", diff_ids: [...base.manifest.layers, layer.diffId] },
    },
    null,
    ["probe:test"],
  );
  return { ...env, image: store.resolved(img) };
}

/** Runs `script` with /bin/sh in a running container (the driver tests' execScript). */
export function runIn(
  env: TestEnv,
  id: string,
  script: string,
  timeoutMs?: number,
): Promise<{ out: string; rc: number }> {
  return execScript(env.driver, id, script, timeoutMs);
}

/**
 * Registers beforeAll/afterAll for a describe block that attacks from one running container
 * (`sleep 1000`; from the probe image when `probe`): made before the tests, removed after them,
 * and the environment proven clean. The getters are valid inside the tests.
 */
export function useAttackContainer(opts: { probe?: boolean; spec?: Partial<GuestSpec> } = {}): {
  env: () => ProbeEnv | TestEnv;
  guest: () => DriverGuest;
} {
  let env: ProbeEnv | TestEnv | undefined;
  let g: DriverGuest | undefined;
  beforeAll(async () => {
    let image: Partial<GuestSpec> = {};
    let e: TestEnv;
    if (opts.probe) {
      const p = await makeProbeEnv();
      image = { image: "probe:test", resolvedImage: p.image };
      e = p;
    } else e = makeEnv();
    env = e;
    g = await e.driver.create(e.spec({ ...image, command: ["sleep", "1000"], ...opts.spec }), () => {});
  });
  afterAll(async () => {
    if (!env) return;
    // A test may have removed it already (that can be what it tests).
    if (g && (await env.driver.list()).some((x) => x.id === g!.id)) await env.driver.remove(g.id, { purgeDisks: true });
    expect(await env.cleanup()).toEqual([]);
  });
  return { env: () => env!, guest: () => g! };
}

/** Parses the probe's "<what>=<result>" lines. */
export function probeResults(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^([a-z0-9_]+)=(\S+)$/gm)) r[m[1]!] = m[2]!;
  return r;
}
