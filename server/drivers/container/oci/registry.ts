// Pulls an image from an OCI distribution registry (`host[:port]/name:tag` or `@sha256:…`):
// manifest (following an index to this host's platform), config and layers, each verified against
// its digest while it streams to disk, then unpacked into the store. Anonymous bearer tokens are
// fetched when the registry asks for them. Loopback registries are spoken to over plain HTTP.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { OciIndex, OciManifest } from "./archive";
import { goArch, ImageStoreError, type OciImageStore, type StoredImage } from "./image-store";

export interface ImageReference {
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
}

const DEFAULT_REGISTRY = "registry-1.docker.io";

export function parseReference(ref: string): ImageReference {
  const m =
    /^(?:([a-zA-Z0-9.-]+(?::\d+)?|\[[0-9a-fA-F:]+\](?::\d+)?)\/)?([a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(
      ref,
    );
  if (!m) throw new ImageStoreError(`'${ref}' is not an image reference (host/name:tag)`);
  let registry = m[1];
  let repository = m[2]!;
  // "name/x" without a dot, colon or localhost in the first part is a Docker Hub path.
  if (registry && !/[.:]/.test(registry) && registry !== "localhost" && !registry.startsWith("[")) {
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(registry))
      throw new ImageStoreError(`'${ref}' is not an image reference (host/name:tag)`);
    repository = `${registry}/${repository}`;
    registry = undefined;
  }
  if (!registry) {
    registry = DEFAULT_REGISTRY;
    if (!repository.includes("/")) repository = `library/${repository}`;
  }
  const digest = m[4] ?? null;
  const tag = m[3] ?? (digest ? null : "latest");
  return { registry, repository, tag, digest };
}

export function formatReference(r: ImageReference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest ? `@${r.digest}` : ""}`;
}

function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface PullOptions {
  /** Registries (host:port) to reach over plain HTTP besides loopback ones. */
  insecureRegistries?: string[];
  fetchImpl?: typeof fetch;
  onProgress?: (message: string) => void;
  timeoutMs?: number;
}

class RegistryClient {
  private token: string | null = null;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(
    private readonly ref: ImageReference,
    private readonly opts: PullOptions,
  ) {
    const scheme = isLoopback(ref.registry) || opts.insecureRegistries?.includes(ref.registry) ? "http" : "https";
    this.base = `${scheme}://${ref.registry}/v2/${ref.repository}`;
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  async get(pathPart: string, accept?: string): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers: Record<string, string> = {};
      if (accept) headers.accept = accept;
      if (this.token) headers.authorization = `Bearer ${this.token}`;
      let res: Response;
      try {
        res = await this.fetchImpl(`${this.base}/${pathPart}`, {
          headers,
          redirect: "follow",
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 300_000),
        });
      } catch (e) {
        throw new ImageStoreError(
          `cannot reach registry ${this.ref.registry}: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
      if (res.status === 401 && attempt === 0 && (await this.authenticate(res))) continue;
      if (res.status === 404)
        throw new ImageStoreError(
          `${formatReference(this.ref)}: not found in the registry (${pathPart.split("/")[0]})`,
        );
      if (!res.ok) throw new ImageStoreError(`registry ${this.ref.registry} answered ${res.status} for ${pathPart}`);
      return res;
    }
    throw new ImageStoreError(`registry ${this.ref.registry} refused the credentials`);
  }

  private async authenticate(res: Response): Promise<boolean> {
    const h = res.headers.get("www-authenticate") ?? "";
    if (!/^Bearer /i.test(h)) return false;
    const params = Object.fromEntries([...h.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    url.searchParams.set("scope", params.scope ?? `repository:${this.ref.repository}:pull`);
    const t = await this.fetchImpl(url, { signal: AbortSignal.timeout(30_000) });
    if (!t.ok) return false;
    const body = (await t.json()) as { token?: string; access_token?: string };
    this.token = body.token ?? body.access_token ?? null;
    return this.token !== null;
  }

  async json(
    pathPart: string,
    accept: string,
    expectDigest?: string,
  ): Promise<{ value: unknown; bytes: Buffer; mediaType: string }> {
    const res = await this.get(pathPart, accept);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > 4 * 1024 * 1024) throw new ImageStoreError(`${pathPart} is too large for a manifest`);
    if (expectDigest) verify(bytes, expectDigest, pathPart);
    try {
      return { value: JSON.parse(bytes.toString("utf8")), bytes, mediaType: res.headers.get("content-type") ?? "" };
    } catch {
      throw new ImageStoreError(`${pathPart} from the registry is not JSON`);
    }
  }

  /** Streams a blob to `file`, verifying its digest on the way. */
  async blobToFile(digest: string, file: string): Promise<void> {
    const res = await this.get(`blobs/${digest}`);
    if (!res.body) throw new ImageStoreError(`empty response for blob ${digest}`);
    const hash = createHash("sha256");
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    body.on("data", (c: Buffer) => hash.update(c));
    await pipeline(body, createWriteStream(file));
    const got = `sha256:${hash.digest("hex")}`;
    if (got !== digest) throw new ImageStoreError(`blob digest mismatch: expected ${digest}, got ${got}`);
  }
}

function verify(bytes: Buffer, digest: string, what: string): void {
  const got = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (got !== digest) throw new ImageStoreError(`${what}: digest mismatch (expected ${digest}, got ${got})`);
}

export async function pullImage(store: OciImageStore, reference: string, opts: PullOptions = {}): Promise<StoredImage> {
  const ref = parseReference(reference);
  const client = new RegistryClient(ref, opts);
  const say = opts.onProgress ?? (() => undefined);
  say(`resolving ${formatReference(ref)}`);
  let { value, bytes } = await client.json(
    `manifests/${ref.digest ?? ref.tag}`,
    MANIFEST_TYPES,
    ref.digest ?? undefined,
  );
  void bytes;
  const index = OciIndex.safeParse(value);
  if (index.success && !(value as { config?: unknown }).config) {
    const pick = index.data.manifests.find((d) => d.platform?.os === "linux" && d.platform.architecture === goArch());
    if (!pick) throw new ImageStoreError(`${formatReference(ref)} has no image for linux/${goArch()}`);
    ({ value, bytes } = await client.json(`manifests/${pick.digest}`, MANIFEST_TYPES, pick.digest));
  }
  const manifest = OciManifest.safeParse(value);
  if (!manifest.success)
    throw new ImageStoreError(`${formatReference(ref)}: unsupported manifest (schema 1 images are not supported)`);
  const cfg = await client.json(
    `blobs/${manifest.data.config.digest}`,
    "application/json, */*",
    manifest.data.config.digest,
  );
  const diffIds = (cfg.value as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.data.layers.length) {
    throw new ImageStoreError(`manifest has ${manifest.data.layers.length} layers, config ${diffIds.length}`);
  }
  const staging = await store.tmpDir();
  try {
    for (const [i, layer] of manifest.data.layers.entries()) {
      if (store.hasLayer(diffIds[i]!)) {
        say(`layer ${i + 1}/${diffIds.length} already present`);
        continue;
      }
      say(`downloading layer ${i + 1}/${diffIds.length} (${layer.size ?? "?"} bytes)`);
      const file = path.join(staging, `layer-${i}`);
      await client.blobToFile(layer.digest, file);
      say(`unpacking layer ${i + 1}/${diffIds.length}`);
      await store.addLayer(file, { diffId: diffIds[i], blobDigest: layer.digest });
      await fs.rm(file, { force: true });
    }
    const name = ref.tag ? `${ref.registry}/${ref.repository}:${ref.tag}` : formatReference(ref);
    return await store.writeImage(
      cfg.value as Record<string, unknown>,
      cfg.bytes,
      [name, reference].filter((v, i, a) => a.indexOf(v) === i),
    );
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}
