// The containers' seccomp filter: Podman's profile (Debian's golang-github-containers-common
// installs it as /usr/share/containers/seccomp.json) converted for this host the way Podman does
// it, plus what Tandem refuses on top. The profile is in containers' own format, which crun 1.8.1
// would accept as is while ignoring `archMap`, `includes` and `excludes` (32-bit binaries killed,
// `bpf`/`perf_event_open` let through), so it is converted first, as containers/common
// pkg/seccomp/seccomp_linux.go `setupSeccomp` does: the architectures come from the archMap entry
// of the host's arch, and a rule is kept only when its includes/excludes (arches, capabilities and
// Docker's minKernel) match the host and the container's capability set. Conversion is pure;
// loading reads and validates the file once per process and caches one result per capability set.
import { readFileSync } from "node:fs";
import os from "node:os";
import { z } from "zod";

export const PODMAN_SECCOMP_PATH = "/usr/share/containers/seccomp.json";

/** The OCI runtime spec's `linux.seccomp` (what crun reads). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: SeccompRule[];
}
export interface SeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[];
}
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo: number;
  op: string;
}

// SCMP_ACT_NOTIFY needs a listener that Tandem does not run: refused rather than ignored.
const Action = z.enum([
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
]);
const Operator = z.enum([
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
]);
// Argument values are 64-bit; a JSON number past 2^53 would silently lose bits and change the
// filter, so such a profile is refused.
const ArgValue = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Errno = z.union([z.string().regex(/^(E[A-Z0-9]+|\d+)$/), z.literal("")]);
// Filters are strict: a condition this converter does not know could make it keep an allow rule
// that Podman would drop.
const Filter = z
  .strictObject({
    caps: z.array(z.string()).nullish(),
    arches: z.array(z.string()).nullish(),
    minKernel: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/)
      .nullish(),
  })
  .nullish();
const Rule = z.strictObject({
  name: z.string().optional(),
  names: z.array(z.string().regex(/^[a-z0-9_]+$/)).nullish(),
  action: Action,
  args: z
    .array(
      z.strictObject({
        index: z.number().int().min(0).max(5),
        value: ArgValue,
        valueTwo: ArgValue.optional(),
        op: Operator,
      }),
    )
    .nullish(),
  comment: z.string().optional(),
  includes: Filter,
  excludes: Filter,
  errnoRet: z.number().int().min(0).max(4095).nullish(),
  errno: Errno.optional(),
});
export const PodmanProfile = z.strictObject({
  defaultAction: Action,
  defaultErrnoRet: z.number().int().min(0).max(4095).nullish(),
  defaultErrno: Errno.optional(),
  architectures: z.array(z.string()).nullish(),
  archMap: z
    .array(z.strictObject({ architecture: z.string(), subArchitectures: z.array(z.string()).nullish() }))
    .nullish(),
  syscalls: z.array(Rule),
  flags: z.array(z.string()).nullish(),
});
export type PodmanProfile = z.infer<typeof PodmanProfile>;

/** containers/common's nativeToSeccomp: libseccomp's name of the host arch → archMap key. */
const NATIVE_TO_SECCOMP: Record<string, string> = {
  amd64: "SCMP_ARCH_X86_64",
  arm64: "SCMP_ARCH_AARCH64",
  mips64: "SCMP_ARCH_MIPS64",
  mips64n32: "SCMP_ARCH_MIPS64N32",
  mipsel64: "SCMP_ARCH_MIPSEL64",
  mipsel64n32: "SCMP_ARCH_MIPSEL64N32",
  s390x: "SCMP_ARCH_S390X",
};

export interface SeccompHost {
  /** libseccomp's name of the native arch ("amd64", "arm64", …), as profiles' `arches` use. */
  arch: string;
  /** The running kernel's version (major, minor), for Docker's `minKernel`. */
  kernel: [number, number];
}

/** "6.1.0-13-amd64" → [6, 1]. */
export function parseKernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) throw new Error(`cannot read the kernel version from '${release}'`);
  return [Number(m[1]), Number(m[2])];
}

function kernelAtLeast(host: SeccompHost, min: string): boolean {
  const [maj, minor] = parseKernelVersion(min);
  return host.kernel[0] > maj || (host.kernel[0] === maj && host.kernel[1] >= minor);
}

/** Podman's getErrno: a name or number in `errno` wins over `errnoRet`. */
function errnoOf(name: string | undefined, ret: number | null | undefined): number | undefined {
  if (!name) return ret ?? undefined;
  if (/^\d+$/.test(name)) return Number(name);
  const n = (os.constants.errno as Record<string, number>)[name];
  if (n === undefined) throw new Error(`unknown errno ${name} in the seccomp profile`);
  return n;
}

/** Whether a rule's includes/excludes hold for this host and capability set (setupSeccomp's loop). */
function ruleApplies(rule: z.infer<typeof Rule>, caps: ReadonlySet<string>, host: SeccompHost): boolean {
  const ex = rule.excludes;
  if (ex?.arches?.includes(host.arch)) return false;
  if (ex?.caps?.some((c) => caps.has(c))) return false;
  if (ex?.minKernel && kernelAtLeast(host, ex.minKernel)) return false;
  const inc = rule.includes;
  if (inc?.arches?.length && !inc.arches.includes(host.arch)) return false;
  if (inc?.caps?.some((c) => !caps.has(c))) return false;
  if (inc?.minKernel && !kernelAtLeast(host, inc.minKernel)) return false;
  return true;
}

/** Converts a profile in containers' format to the OCI form for this host and capability set. */
export function convertProfile(
  profile: PodmanProfile,
  capabilities: readonly string[],
  host: SeccompHost,
): SeccompProfile {
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new Error("the seccomp profile has both 'architectures' and 'archMap'");
  }
  const architectures = [...(profile.architectures ?? [])];
  const native = NATIVE_TO_SECCOMP[host.arch];
  const entry = profile.archMap?.find((a) => native !== undefined && a.architecture === native);
  if (entry) architectures.push(entry.architecture, ...(entry.subArchitectures ?? []));
  const caps = new Set(capabilities);
  const syscalls: SeccompRule[] = [];
  for (const rule of profile.syscalls) {
    if (!ruleApplies(rule, caps, host)) continue;
    if (rule.name && rule.names?.length) throw new Error("a seccomp rule has both 'name' and 'names'");
    const names = rule.name ? [rule.name] : (rule.names ?? []);
    if (names.length === 0) continue;
    const errnoRet = errnoOf(rule.errno, rule.errnoRet);
    syscalls.push({
      names: [...names],
      action: rule.action,
      ...(errnoRet !== undefined ? { errnoRet } : {}),
      ...(rule.args?.length
        ? { args: rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op })) }
        : {}),
    });
  }
  const defaultErrnoRet = errnoOf(profile.defaultErrno, profile.defaultErrnoRet);
  return {
    defaultAction: profile.defaultAction,
    ...(defaultErrnoRet !== undefined ? { defaultErrnoRet } : {}),
    architectures,
    ...(profile.flags?.length ? { flags: [...profile.flags] } : {}),
    syscalls,
  };
}

const EPERM = 1;
const ENOSYS = 38;
const CLONE_NEWUSER = 0x10000000;

/**
 * What Tandem refuses on top of Podman's profile, and why. Each name is first removed from every
 * rule of the converted profile (so no earlier allow can win), then refused by the rule here.
 */
export const TANDEM_DENIED: readonly { names: readonly string[]; errnoRet: number; why: string }[] = [
  {
    names: ["keyctl", "add_key", "request_key"],
    errnoRet: EPERM,
    why: "the kernel keyrings are not namespaced: containers of one uid share them (read, fill, exhaust)",
  },
  {
    names: ["io_uring_setup", "io_uring_enter", "io_uring_register"],
    // ENOSYS, as Podman's profile answers since it dropped io_uring: programs fall back to read/write.
    errnoRet: ENOSYS,
    why: "io_uring is a large, fast-moving kernel surface behind many local privilege escalations",
  },
  {
    names: ["clone3"],
    // Its flags are in memory seccomp cannot read; ENOSYS makes libc fall back to clone.
    errnoRet: ENOSYS,
    why: "clone3 could create a user namespace unseen by the filter",
  },
];

/**
 * Calls that stay allowed except with CLONE_NEWUSER: a new user namespace unlocks kernel code that
 * otherwise needs a capability (the usual first step of an escape). Podman allows them outright.
 */
export const NO_NEW_USERNS = ["clone", "unshare"] as const;

/** The argument that holds the namespace flags: clone's is the second one on s390. */
function flagsIndex(name: string, arch: string): number {
  return name === "clone" && (arch === "s390x" || arch === "s390") ? 1 : 0;
}

/** Adds Tandem's refusals (TANDEM_DENIED, NO_NEW_USERNS) to a converted profile. */
export function withTandemDenials(profile: SeccompProfile, arch: string): SeccompProfile {
  const denied = new Set(TANDEM_DENIED.flatMap((d) => d.names));
  const restricted = new Set<string>(NO_NEW_USERNS);
  for (const r of profile.syscalls) {
    // The NEWUSER split below replaces an unconditional allow; a profile that already filters
    // these calls by argument would need a review of how the two combine, so it is refused.
    if (r.names.some((n) => restricted.has(n)) && (r.action !== "SCMP_ACT_ALLOW" || r.args?.length)) {
      throw new Error(
        `the seccomp profile's rule for ${r.names.filter((n) => restricted.has(n)).join(", ")} is not a plain allow: ` +
          "Tandem's user-namespace rules must be reviewed against it",
      );
    }
  }
  const syscalls: SeccompRule[] = [];
  for (const r of profile.syscalls) {
    const names = r.names.filter((n) => !denied.has(n) && !restricted.has(n));
    if (names.length > 0) syscalls.push({ ...r, names });
  }
  for (const d of TANDEM_DENIED) syscalls.push({ names: [...d.names], action: "SCMP_ACT_ERRNO", errnoRet: d.errnoRet });
  for (const name of NO_NEW_USERNS) {
    const index = flagsIndex(name, arch);
    // SCMP_CMP_MASKED_EQ compares (arg & value) with valueTwo.
    syscalls.push(
      {
        names: [name],
        action: "SCMP_ACT_ALLOW",
        args: [{ index, value: CLONE_NEWUSER, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
      },
      {
        names: [name],
        action: "SCMP_ACT_ERRNO",
        errnoRet: EPERM,
        args: [{ index, value: CLONE_NEWUSER, valueTwo: CLONE_NEWUSER, op: "SCMP_CMP_MASKED_EQ" }],
      },
    );
  }
  return { ...profile, syscalls };
}

/** Reads and validates a profile file; a missing or malformed file is an error, never "no filter". */
export function readPodmanProfile(file: string): PodmanProfile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(
      `cannot read the container seccomp profile ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}): ` +
        "install golang-github-containers-common (scripts/host/packages.sh); Tandem does not run containers unconfined",
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`the container seccomp profile ${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = PodmanProfile.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(
      `the container seccomp profile ${file} is not valid at ${i.path.join(".") || "(root)"}: ${i.message}`,
    );
  }
  return r.data;
}

const profiles = new Map<string, PodmanProfile>();
const converted = new Map<string, SeccompProfile>();

/**
 * The filter for containers with `capabilities` on this host: Podman's profile converted plus
 * Tandem's refusals. Computed once per file and capability set (every container with the same
 * capabilities gets the same object: callers must not mutate it).
 */
export function containerSeccomp(
  capabilities: readonly string[],
  host: SeccompHost,
  file = PODMAN_SECCOMP_PATH,
): SeccompProfile {
  const key = JSON.stringify([file, host, [...capabilities].sort()]);
  let p = converted.get(key);
  if (!p) {
    let src = profiles.get(file);
    if (!src) {
      src = readPodmanProfile(file);
      profiles.set(file, src);
    }
    p = withTandemDenials(convertProfile(src, capabilities, host), host.arch);
    converted.set(key, p);
  }
  return p;
}
