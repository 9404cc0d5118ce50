// Picks the domain type: 'kvm' only where the CPU has vmx/svm and /dev/kvm opens, else QEMU's
// TCG ('qemu'). A paravirtual /dev/kvm without vmx/svm (nested clouds) hangs stock kernels.
// Tandem's only detection: the driver keeps the answer (`accel`) and the host summary reads it
// there. TANDEM_VM_ACCEL is honoured here too for drivers made outside the composition root
// (tests, benches); the server passes its parsed configuration as the override.
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
