// What every container is confined by, taken from Podman's defaults as this host has them and
// computed once per process: the capability set and sysctls of containers.conf (Debian's
// golang-github-containers-common installs /usr/share/containers/containers.conf), the seccomp
// filter for that capability set (seccomp.ts), compiled to BPF once (native/seccomp), and the
// nofile limit. Only the vendor file is read, not /etc/containers/containers.conf: an admin's
// tuning of their own Podman does not silently change Tandem's containers. A missing or
// unreadable file stops the container driver at start-up.
import { readFileSync } from "node:fs";
import os from "node:os";
import { z } from "zod";
import { compileSeccomp } from "../../../../native/seccomp/index";
import { goArch } from "./image-store";
import { containerSeccomp, parseKernelVersion, PODMAN_SECCOMP_PATH } from "./seccomp";
import type { Confinement } from "./spec";

export const CONTAINERS_CONF_PATH = "/usr/share/containers/containers.conf";
/** Podman's RLimitDefaultValue: the nofile soft and hard limit it gives containers. */
export const PODMAN_NOFILE = 1_048_576;

/** `key = ["a", "b", …]` in the [containers] table of a TOML file (comments allowed). */
export function tomlStringArray(text: string, table: string, key: string): string[] | null {
  const body = sectionOf(text, table);
  const m = new RegExp(`^[ \\t]*${key}[ \\t]*=[ \\t]*\\[([^\\]]*)\\]`, "m").exec(body);
  if (!m) return null;
  const items: string[] = [];
  for (const line of m[1]!.split("\n")) {
    // Strings here hold no '#': everything after one is a comment.
    const code = line.replace(/#.*$/, "");
    for (const s of code.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)) items.push(s[1] ?? s[2]!);
  }
  return items;
}

function sectionOf(text: string, table: string): string {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === `[${table}]`);
  if (start < 0) return "";
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => /^\s*\[/.test(l));
  return (end < 0 ? rest : rest.slice(0, end)).join("\n");
}

const CapName = z.string().regex(/^(CAP_)?[A-Z_]+$/, "not a capability name");
// Only sysctls that belong to the container's own network or IPC namespace may be set.
const Sysctl = z
  .string()
  .regex(/^(net\.|kernel\.(shm|msg|sem)|fs\.mqueue\.)[a-z0-9_.-]+=.*$/, "not a namespaced sysctl (name=value)");

/** default_capabilities and default_sysctls of a containers.conf. */
export function parseContainersConf(
  text: string,
  file = CONTAINERS_CONF_PATH,
): {
  capabilities: string[];
  sysctl: Record<string, string>;
} {
  const caps = tomlStringArray(text, "containers", "default_capabilities");
  // Podman would fall back to its compiled-in list, which Tandem does not have.
  if (!caps || caps.length === 0) throw new Error(`${file} has no default_capabilities`);
  const capabilities = caps.map((c) => {
    const r = CapName.safeParse(c);
    if (!r.success) throw new Error(`${file}: default_capabilities: '${c}' is not a capability name`);
    return c.startsWith("CAP_") ? c : `CAP_${c}`;
  });
  const sysctl: Record<string, string> = {};
  for (const s of tomlStringArray(text, "containers", "default_sysctls") ?? []) {
    if (!Sysctl.safeParse(s).success) throw new Error(`${file}: default_sysctls: '${s}' is not a namespaced sysctl`);
    const i = s.indexOf("=");
    sysctl[s.slice(0, i)] = s.slice(i + 1);
  }
  return { capabilities: [...new Set(capabilities)], sysctl };
}

/** The hard "Max open files" of /proc/self/limits (null when unlimited). */
export function hardNofile(procLimits: string): number | null {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(procLimits);
  if (!m) throw new Error("no 'Max open files' line in /proc/self/limits");
  return m[2] === "unlimited" ? null : Number(m[2]);
}

/**
 * Podman's nofile limit (1048576 soft and hard), capped to Tandem's own hard limit: whoever
 * started Tandem chose that ceiling, and where the runtime lacks CAP_SYS_RESOURCE a higher value
 * would make every create fail.
 */
export function nofileLimit(hostHard: number | null): { soft: number; hard: number } {
  const n = hostHard === null ? PODMAN_NOFILE : Math.min(PODMAN_NOFILE, hostHard);
  return { soft: n, hard: n };
}

export interface ConfinementSources {
  containersConf?: string;
  seccompProfile?: string;
  procLimits?: string;
}

function readConf(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}): ` +
        "install golang-github-containers-common (scripts/host/packages.sh)",
    );
  }
}

/** Builds the confinement from the given files (defaults: this host's). */
export function loadConfinement(src: ConfinementSources = {}): Confinement {
  const confFile = src.containersConf ?? CONTAINERS_CONF_PATH;
  const { capabilities, sysctl } = parseContainersConf(readConf(confFile), confFile);
  const seccomp = containerSeccomp(
    capabilities,
    { arch: goArch(), kernel: parseKernelVersion(os.release()) },
    src.seccompProfile ?? PODMAN_SECCOMP_PATH,
  );
  // Compiled here once instead of by crun at every create (see SECCOMP_BPF_ANNOTATION).
  const seccompBpf = compileSeccomp(seccomp).bpf.toString("base64");
  const nofile = nofileLimit(hardNofile(readFileSync(src.procLimits ?? "/proc/self/limits", "utf8")));
  return { capabilities, seccomp, seccompBpf, nofile, sysctl };
}

let cached: Confinement | null = null;

/** This host's confinement, computed on first use and then shared (do not mutate it). */
export function hostConfinement(): Confinement {
  cached ??= loadConfinement();
  return cached;
}
