// The real parts the integration tests run against. Each test file skips itself when its part is
// absent (so a developer without root can still run the rest), which would let a broken host turn
// a red run green by skipping: the integration run's global set-up therefore refuses to start
// unless every one of them is here, and says which is missing. TANDEM_TEST_ALLOW_MISSING_BACKENDS=1
// is the explicit, visible opt-out for such a developer; `npm test` never sets it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

function answers(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** What is missing for the integration tests, one line each; empty when all is there. */
export function missingBackends(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (the tests make bridges, namespaces, cgroups and mounts)");
  for (const bin of ["/usr/bin/crun", "/usr/bin/conmon", "/usr/bin/docker-registry"]) {
    if (!existsSync(bin)) missing.push(`${bin} (scripts/host/packages.sh installs it)`);
  }
  if (!["/usr/bin/busybox", "/bin/busybox"].some((p) => existsSync(p))) missing.push("busybox");
  const uri = process.env.TANDEM_LIBVIRT_URI ?? "qemu:///system";
  if (!answers("virsh", ["-c", uri, "version"]))
    missing.push(`libvirtd answering on ${uri} (scripts/host/ensure-libvirt.sh)`);
  if (!existsSync(path.join(ROOT, "data", "images", "demo", "manifest.json"))) {
    missing.push("the demo images in data/images/demo (scripts/host/build-demo-images.sh)");
  }
  if (!existsSync(path.join(ROOT, ".next", "BUILD_ID"))) missing.push("the Next.js build (next build)");
  return missing;
}
