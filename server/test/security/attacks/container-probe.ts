// Shared set-up for the attack tests that start inside a container: the container driver's test
// environment (own bridge, cgroup parent, data dir) plus an image "probe:test" made of the busybox
// root file system and one more layer holding fixtures/probe.c compiled statically here (busybox
// cannot make raw system calls), and a way to run a shell command in a running container.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ResolvedImage } from "../../../domain/driver";
import { goArch, OciImageStore } from "../../../drivers/container/oci/image-store";
import { makeEnv, type TestEnv } from "../../../drivers/container/test/support";
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

/**
 * Runs `script` with /bin/sh in a running container through the driver's exec (a PTY) and
 * returns what it printed (CR LF turned into LF) and its exit status.
 */
export async function runIn(
  env: TestEnv,
  id: string,
  script: string,
  timeoutMs = 30_000,
): Promise<{ out: string; rc: number }> {
  const end = /@@rc=(\d+)@@/;
  const x = await env.driver.exec(id, ["/bin/sh", "-c", `${script}; echo "@@rc=$?@@"`], { rows: 50, cols: 200 });
  try {
    const text = await new Promise<string>((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(buf.slice(-500))}`)), timeoutMs);
      x.onData((d) => {
        buf += Buffer.from(d).toString();
        if (end.test(buf)) {
          clearTimeout(timer);
          resolve(buf);
        }
      });
    });
    const rc = Number(end.exec(text)![1]);
    return { out: text.replace(end, "").replace(/\r\n/g, "\n"), rc };
  } finally {
    x.close();
  }
}

/** Parses the probe's "<what>=<result>" lines. */
export function probeResults(out: string): Record<string, string> {
  const r: Record<string, string> = {};
  for (const m of out.matchAll(/^([a-z0-9_]+)=(\S+)$/gm)) r[m[1]!] = m[2]!;
  return r;
}
