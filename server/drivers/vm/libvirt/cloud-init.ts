// A cloud-init NoCloud seed (meta-data, user-data, network-config) on a small disk labelled
// "cidata": an ISO 9660 image made with genisoimage or xorriso, else a VFAT image made with
// mkfs.vfat + mcopy. Which tool exists is probed once. Values are written as YAML through
// JSON.stringify (JSON is YAML), so nothing a user types can break the document's structure.
import { execFile } from "node:child_process";
import { access, constants, mkdtemp, rm, writeFile } from "node:fs/promises";
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
  const tool = await seedTool();
  if (!tool) {
    throw new SeedError("no tool to build a cloud-init seed: install genisoimage (or xorriso, or dosfstools + mtools)");
  }
  const dir = await mkdtemp(path.join(tmpdir(), "tandem-seed-"));
  try {
    const files = seedFiles(c);
    const names = Object.keys(files) as (keyof typeof files)[];
    for (const n of names) await writeFile(path.join(dir, n), files[n], { mode: 0o600 });
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
