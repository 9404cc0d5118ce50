// Picks the domain type: 'kvm' only where the CPU has vmx/svm and /dev/kvm opens, else QEMU's
// TCG ('qemu'). A paravirtual /dev/kvm without vmx/svm (nested clouds) hangs stock kernels.
import { closeSync, openSync, readFileSync } from "node:fs";

export type Accel = "kvm" | "qemu";

export function detectAccel(override: "kvm" | "qemu" | "auto" | undefined = "auto"): Accel {
  const env = process.env.TANDEM_VM_ACCEL;
  const choice = override !== "auto" ? override : env === "kvm" || env === "qemu" ? env : "auto";
  if (choice !== "auto") return choice;
  try {
    if (!/\b(vmx|svm)\b/.test(readFileSync("/proc/cpuinfo", "utf8"))) return "qemu";
    closeSync(openSync("/dev/kvm", "r+"));
    return "kvm";
  } catch {
    return "qemu";
  }
}
