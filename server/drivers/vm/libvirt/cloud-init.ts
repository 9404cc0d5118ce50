// A cloud-init NoCloud seed (meta-data, user-data, network-config) on a small disk labelled
// "cidata": an ISO 9660 image made with genisoimage or xorriso, else a VFAT image made with
// mkfs.vfat + mcopy. Which tool exists is probed once. Values are written as YAML through
// JSON.stringify (JSON is YAML), so nothing a user types can break the document's structure.
import { execFile } from "node:child_process";
import { access, constants, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CloudInitConfig {
  instanceId: string;
  hostname: string;
  user?: string;
  password?: string;
  sshKeys?: string[];
}

export type SeedTool = "genisoimage" | "xorriso" | "vfat";

export class SeedError extends Error {
  override readonly name = "SeedError";
}

async function has(cmd: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
  for (const dir of dirs.filter(Boolean)) {
    try {
      await access(path.join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

let probed: Promise<SeedTool | null> | null = null;
/** The first available way to make a seed: genisoimage, xorriso, or mkfs.vfat + mcopy. */
export function seedTool(): Promise<SeedTool | null> {
  probed ??= (async () => {
    if (await has("genisoimage")) return "genisoimage";
    if (await has("xorriso")) return "xorriso";
    if ((await has("mkfs.vfat")) && (await has("mcopy"))) return "vfat";
    return null;
  })();
  return probed;
}

/** The three NoCloud files. user-data is "#cloud-config" + JSON (a YAML subset). */
export function seedFiles(c: CloudInitConfig): Record<"meta-data" | "user-data" | "network-config", string> {
  const meta = { "instance-id": c.instanceId, "local-hostname": c.hostname };
  const user: Record<string, unknown> = { hostname: c.hostname, preserve_hostname: false };
  if (c.user) {
    user.users = [
      {
        name: c.user,
        groups: ["sudo"],
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: !c.password,
        ...(c.sshKeys?.length ? { ssh_authorized_keys: c.sshKeys } : {}),
      },
    ];
  } else if (c.sshKeys?.length) {
    user.ssh_authorized_keys = c.sshKeys;
  }
  if (c.password) {
    const name = c.user ?? "root";
    user.chpasswd = { expire: false, users: [{ name, password: c.password, type: "text" }] };
    user.ssh_pwauth = true;
  }
  const network = { version: 2, ethernets: { nics: { match: { name: "e*" }, dhcp4: true } } };
  return {
    "meta-data": `${JSON.stringify(meta, null, 2)}\n`,
    "user-data": `#cloud-config\n${JSON.stringify(user, null, 2)}\n`,
    "network-config": `${JSON.stringify(network, null, 2)}\n`,
  };
}

/** Writes the seed image to `out` and returns which tool made it. */
export async function makeSeed(out: string, c: CloudInitConfig): Promise<SeedTool> {
  return writeSeed(out, seedFiles(c));
}

/** Writes a seed image holding exactly `files` (NoCloud names) to `out`. */
export async function writeSeed(out: string, files: Record<string, string>): Promise<SeedTool> {
  const tool = await seedTool();
  if (!tool) {
    throw new SeedError("no tool to build a cloud-init seed: install genisoimage (or xorriso, or dosfstools + mtools)");
  }
  for (const n of Object.keys(files)) {
    if (!/^[a-z][a-z-]{0,31}$/.test(n)) throw new SeedError(`'${n}' is not a NoCloud file name`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), "tandem-seed-"));
  try {
    const names = Object.keys(files);
    for (const n of names) await writeFile(path.join(dir, n), files[n]!, { mode: 0o600 });
    const paths = names.map((n) => path.join(dir, n));
    if (tool === "genisoimage") {
      await run("genisoimage", ["-quiet", "-output", out, "-volid", "cidata", "-joliet", "-rock", ...paths]);
    } else if (tool === "xorriso") {
      await run("xorriso", [
        "-as",
        "mkisofs",
        "-quiet",
        "-output",
        out,
        "-volid",
        "cidata",
        "-joliet",
        "-rock",
        ...paths,
      ]);
    } else {
      await run("mkfs.vfat", ["-n", "CIDATA", "-C", out, "1024"]);
      for (const p of paths) await run("mcopy", ["-i", out, p, "::"]);
    }
    return tool;
  } catch (e) {
    await rm(out, { force: true });
    if (e instanceof SeedError) throw e;
    const err = e as { stderr?: string; message?: string };
    throw new SeedError(`building the cloud-init seed failed: ${(err.stderr || err.message || String(e)).trim()}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Reads one file out of a seed image Tandem made (ISO 9660 with Rock Ridge, or VFAT). */
export async function readSeedFile(seed: string, name: string): Promise<string> {
  if (!/^[a-z][a-z-]{0,31}$/.test(name)) throw new SeedError(`'${name}' is not a NoCloud file name`);
  const head = Buffer.alloc(6);
  const fh = await open(seed, "r");
  try {
    await fh.read(head, 0, 6, 0x8000);
  } finally {
    await fh.close();
  }
  const iso = head.subarray(1, 6).toString("latin1") === "CD001";
  try {
    if (!iso) return (await run("mcopy", ["-n", "-i", seed, `::${name}`, "-"], { maxBuffer: 1 << 20 })).stdout;
    if (await has("isoinfo")) {
      // isoinfo answers a missing file with nothing and exit 0.
      const text = (await run("isoinfo", ["-R", "-i", seed, "-x", `/${name}`], { maxBuffer: 1 << 20 })).stdout;
      if (!text) throw new SeedError("no such file in the seed");
      return text;
    }
    const dir = await mkdtemp(path.join(tmpdir(), "tandem-seed-"));
    try {
      const out = path.join(dir, name);
      await run("xorriso", ["-osirrox", "on", "-indev", seed, "-extract", `/${name}`, out]);
      return await readFile(out, "utf8");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new SeedError(`cannot read ${name} from ${seed}: ${(err.stderr || err.message || String(e)).trim()}`);
  }
}

/**
 * A clone's seed: the source's user-data and network-config (users, keys, passwords stay) with a
 * new instance-id — so cloud-init in the copy runs again as a new instance (new SSH host keys) —
 * and the clone's hostname.
 */
export async function cloneSeed(source: string, out: string, c: { instanceId: string; hostname: string }) {
  const userData = await readSeedFile(source, "user-data");
  const networkConfig = await readSeedFile(source, "network-config").catch(() => null);
  return writeSeed(out, {
    "meta-data": `${JSON.stringify({ "instance-id": c.instanceId, "local-hostname": c.hostname }, null, 2)}\n`,
    "user-data": retargetUserData(userData, c.hostname),
    ...(networkConfig ? { "network-config": networkConfig } : {}),
  });
}

/** Sets `hostname` in a "#cloud-config" + JSON user-data (Tandem's form); other forms stay as they are. */
export function retargetUserData(userData: string, hostname: string): string {
  const m = /^#cloud-config[ \t]*\r?\n([\s\S]*)$/.exec(userData);
  if (!m) return userData;
  try {
    const doc = JSON.parse(m[1]!) as unknown;
    if (!doc || typeof doc !== "object" || Array.isArray(doc)) return userData;
    const o = doc as Record<string, unknown>;
    if ("hostname" in o) o.hostname = hostname;
    if ("fqdn" in o) delete o.fqdn;
    return `#cloud-config\n${JSON.stringify(o, null, 2)}\n`;
  } catch {
    return userData; // YAML someone else wrote: keep it, meta-data still carries the hostname
  }
}
