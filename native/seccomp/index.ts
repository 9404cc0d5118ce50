// Typed loader for the tandem_seccomp addon: compiles an OCI `linux.seccomp` section with
// libseccomp into the BPF program crun would build from it (crun 1.8.1's translation, call for
// call), so the container driver compiles Podman's profile once per process instead of crun
// compiling it on every create.
// Build: `bash scripts/build-native.sh` (or `cd native/seccomp && npx node-gyp rebuild`); needs
// libseccomp-dev.
import { addonLoader } from "../common/load";

/** The OCI runtime spec's `linux.seccomp` as the addon reads it. */
export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls: {
    names: string[];
    action: string;
    errnoRet?: number;
    args?: { index: number; value: number; valueTwo?: number; op: string }[];
  }[];
}

export interface CompiledSeccomp {
  /** The classic-BPF program (struct sock_filter[]), as seccomp(SECCOMP_SET_MODE_FILTER) takes it. */
  bpf: Buffer;
  /** Syscall names this libseccomp does not know: left out, as crun leaves them out. */
  unknown: string[];
}

interface Addon {
  compile(profile: OciSeccomp): CompiledSeccomp;
  libseccompVersion(): string;
}

/** Loads lazily so that importing this module never fails where the addon is not built. */
export const seccompAddon = addonLoader<Addon>(import.meta.url, "tandem_seccomp");

/** Compiles an OCI seccomp section to the BPF program crun would load for it. */
export function compileSeccomp(profile: OciSeccomp): CompiledSeccomp {
  return seccompAddon().compile(profile);
}
