// The real parts the tests run against, and the two rules that keep a missing one from turning a
// red run green by skipping:
// - The integration run's global set-up refuses to start unless every part is here, and says
//   which is missing. TANDEM_TEST_ALLOW_MISSING_BACKENDS=1 is the explicit opt-out for a
//   developer without them: each test file then skips itself (`describe.skipIf(!backend(…))`),
//   and `npm test`'s closing line counts the skips.
// - TANDEM_TEST_STRICT=1 (.ci/run sets it) allows no opt-out: backend() throws, naming the missing
//   part, so its file fails instead of skipping; the set-up refuses the opt-out; and
//   scripts/count-results.mjs counts every skipped test as a failure.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** TANDEM_TEST_STRICT=1: no test may skip for a missing backend (see the header). */
export const STRICT = process.env.TANDEM_TEST_STRICT === "1";

/**
 * For `describe.skipIf(!backend(what, present))`: `present`, except that under strict mode a
 * missing backend throws, naming `what`, so the test file fails instead of skipping.
 */
export function backend(what: string, present: boolean): boolean {
  if (!present && STRICT) throw new Error(`TANDEM_TEST_STRICT=1 and a backend is missing: ${what}`);
  return present;
}

/** Whether `cmd args` exits 0 within 10 s (e.g. `virsh -c URI version`: the daemon answers). */
export function answers(cmd: string, args: string[]): boolean {
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
