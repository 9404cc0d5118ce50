// Test helpers for the libvirt addon: unique names, a tiny kernel-only domain, and a sweeper
// that removes everything this run created even when a test failed half-way.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Connection } from "../index";

export const URI = process.env.TANDEM_LIBVIRT_URI ?? "qemu:///system";
export const RUN = `tandem-nt-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

export function accel(): "kvm" | "qemu" {
  const o = process.env.TANDEM_VM_ACCEL;
  if (o === "kvm" || o === "qemu") return o;
  try {
    const cpu = readFileSync("/proc/cpuinfo", "utf8");
    if (/\b(vmx|svm)\b/.test(cpu) && existsSync("/dev/kvm")) return "kvm";
  } catch {
    /* fall through */
  }
  return "qemu";
}

/** A kernel for direct boot: prints to ttyS0, then waits forever on its root-mount panic. */
export function hostKernel(): string | null {
  const k = readdirSync("/boot")
    .filter((f) => f.startsWith("vmlinuz-"))
    .sort();
  return k.length ? path.join("/boot", k[k.length - 1]!) : null;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), `${RUN}-`));
}

export function qcow2(file: string, size = "16M"): void {
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, size]);
}

// Names and paths here are test-controlled constants (no user input), so a template is fine.
export function tinyDomainXml(name: string, opts: { kernel?: string | null; disk?: string } = {}): string {
  const kernel = opts.kernel ?? null;
  return `<domain type='${accel()}'>
  <name>${name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    ${kernel ? `<kernel>${kernel}</kernel><cmdline>console=ttyS0 ignore_loglevel panic=0</cmdline>` : "<boot dev='hd'/>"}
  </os>
  <on_reboot>destroy</on_reboot>
  <devices>
    ${opts.disk ? `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${opts.disk}'/><target dev='vda' bus='virtio'/></disk>` : ""}
    <serial type='pty'/>
    <console type='pty'><target type='serial'/></console>
    <memballoon model='virtio'><stats period='1'/></memballoon>
  </devices>
</domain>`;
}

/** Destroys and undefines every domain, network and storage pool whose name starts with RUN. */
export async function sweep(conn: Connection | null): Promise<void> {
  if (conn && !conn.isClosed()) {
    for (const d of await conn.listAllDomains().catch(() => [])) {
      if (!d.name.startsWith(RUN)) continue;
      await d.destroy().catch(() => undefined);
      await d.undefine(2 | 4).catch(() => undefined);
      rmSync(`/var/log/libvirt/qemu/${d.name}.log`, { force: true });
    }
    for (const n of await conn.listNetworks().catch(() => [])) {
      if (!n.name.startsWith(RUN)) continue;
      await conn.networkDestroy(n.name).catch(() => undefined);
      await conn.networkUndefine(n.name).catch(() => undefined);
    }
    for (const p of await conn.listStoragePools().catch(() => [])) {
      if (!p.name.startsWith(RUN)) continue;
      // Volumes first, while the pool runs: the directory removal below catches the rest.
      for (const v of await conn.listStorageVolumes(p.name).catch(() => []))
        await conn.storageVolDelete(p.name, v.name).catch(() => undefined);
      await conn.storagePoolDestroy(p.name).catch(() => undefined);
      await conn.storagePoolUndefine(p.name).catch(() => undefined);
    }
  }
  for (const f of readdirSync(tmpdir()))
    if (f.startsWith(RUN)) rmSync(path.join(tmpdir(), f), { recursive: true, force: true });
  const logs = "/var/log/libvirt/qemu";
  if (existsSync(logs))
    for (const f of readdirSync(logs).filter((f) => f.startsWith(RUN))) rmSync(path.join(logs, f), { force: true });
}

export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
