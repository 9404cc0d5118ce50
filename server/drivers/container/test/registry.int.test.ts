// Pull from a real registry (Debian's docker-registry) that the test runs on 127.0.0.1: the test
// pushes a two-layer image over the distribution API, then the store pulls it layer by layer.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciImageStore } from "../oci/image-store";
import { backend } from "../../../test/backends";
import { freePort } from "../../../test/support";
import { pullImage } from "../oci/registry";
import { makeTar } from "./tar-writer";

const REGISTRY = "/usr/bin/docker-registry";
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe.skipIf(
  !backend(`root and ${REGISTRY} (scripts/host/packages.sh)`, existsSync(REGISTRY) && process.getuid?.() === 0),
)("registry pull (docker-registry on 127.0.0.1)", () => {
  let tmp: string;
  let proc: ChildProcess;
  let base: string;
  let store: OciImageStore;

  async function push(name: string, tag: string, layers: Buffer[]) {
    const upload = async (blob: Buffer) => {
      const start = await fetch(`${base}/v2/${name}/blobs/uploads/`, { method: "POST" });
      expect(start.status).toBe(202);
      const loc = new URL(start.headers.get("location")!, base);
      loc.searchParams.set("digest", sha(blob));
      const put = await fetch(loc, {
        method: "PUT",
        body: new Uint8Array(blob),
        headers: { "content-type": "application/octet-stream" },
      });
      expect(put.status).toBe(201);
    };
    const gz = layers.map((l) => gzipSync(l));
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/bin/sh"], Env: ["PULLED=1"] },
        rootfs: { type: "layers", diff_ids: layers.map(sha) },
      }),
    );
    for (const b of [...gz, config]) await upload(b);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: gz.map((g) => ({
        mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: sha(g),
        size: g.length,
      })),
    });
    const res = await fetch(`${base}/v2/${name}/manifests/${tag}`, {
      method: "PUT",
      body: manifest,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    });
    expect(res.status).toBe(201);
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "tandem-reg-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    writeFileSync(
      path.join(tmp, "config.yml"),
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${tmp}/registry\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    proc = spawn(REGISTRY, ["serve", path.join(tmp, "config.yml")], { stdio: "ignore" });
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${base}/v2/`)).ok) break;
      } catch {
        // not yet listening
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    store = new OciImageStore(path.join(tmp, "data"));
    await store.init();
  });

  afterAll(async () => {
    if (proc?.pid && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("pulls host/name:tag layer by layer, verifying digests, and reuses layers it has", async () => {
    const l1 = makeTar([
      { name: "etc/", type: "dir" },
      { name: "etc/motd", body: "from the registry" },
    ]);
    const l2 = makeTar([{ name: "etc/", type: "dir" }, { name: "etc/.wh.motd" }, { name: "hello", body: "hi" }]);
    await push("demo/app", "1.0", [l1, l2]);
    const host = new URL(base).host;
    const steps: string[] = [];
    const img = await pullImage(store, `${host}/demo/app:1.0`, { onProgress: (m) => steps.push(m) });
    expect(img.manifest.layers).toEqual([sha(l1), sha(l2)]);
    expect(img.manifest.refs).toContain(`${host}/demo/app:1.0`);
    expect(img.manifest.config.config?.Env).toEqual(["PULLED=1"]);
    expect(steps.filter((s) => s.startsWith("downloading"))).toHaveLength(2);
    await push("demo/app", "1.1", [l1]);
    const steps2: string[] = [];
    await pullImage(store, `${host}/demo/app:1.1`, { onProgress: (m) => steps2.push(m) });
    expect(steps2.some((s) => s.includes("already present"))).toBe(true);
    expect(readdirSync(path.join(store.dir, "layers"))).toHaveLength(2);
  });

  it("reports unknown images and unreachable registries clearly", async () => {
    const host = new URL(base).host;
    await expect(pullImage(store, `${host}/demo/none:1`)).rejects.toThrow(/not found in the registry/);
    await expect(pullImage(store, "127.0.0.1:1/x/y:1")).rejects.toThrow(/cannot reach registry/);
    await expect(pullImage(store, "Not A Ref")).rejects.toThrow(/not an image reference/);
  });
});
