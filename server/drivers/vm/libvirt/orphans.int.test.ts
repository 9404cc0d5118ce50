// The orphan sweep against the real libvirtd: a VM directory left by a create that died before
// libvirt had the domain goes on the first listing of a newly started driver; the directories
// of defined VMs stay. Everything made here is named tvt-<tag>-* and swept in afterAll.
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LibvirtDriver } from "./driver";
import { haveBackend, makeEnv, type VmTestEnv } from "./test/support";

const run = haveBackend();
let env: VmTestEnv;

describe.skipIf(!run)("the VM orphan sweep against libvirtd", () => {
  beforeAll(async () => {
    env = await makeEnv();
  }, 240_000);

  afterAll(async () => {
    await env?.cleanup();
  }, 120_000);

  it("removes on start what no domain owns and keeps every VM's own directory", async () => {
    const vm = await env.driver.create(env.spec({ start: false, network: "none" }), () => undefined);
    const vmDir = env.driver.filesDir(vm.id);
    const stray = (uuid: string) => {
      const dir = path.join(env.dataDir, "vms", uuid);
      mkdirSync(dir);
      writeFileSync(path.join(dir, "disk.qcow2"), "half-written");
      writeFileSync(path.join(dir, ".unfinished"), ""); // as layout.make leaves it before the define
      return dir;
    };
    const orphan = stray(randomUUID());

    // A restarted Tandem: a new driver on the same data directory, listing once.
    const restarted = new LibvirtDriver(env.opts);
    try {
      expect((await restarted.list()).map((g) => g.id)).toContain(vm.id);
      expect(existsSync(orphan)).toBe(false);
      expect(existsSync(path.join(vmDir, "disk.qcow2"))).toBe(true);

      // Later listings leave the sweep alone; asked for, it runs again.
      const later = stray(randomUUID());
      await restarted.list();
      expect(existsSync(later)).toBe(true);
      expect(await restarted.sweepOrphans()).toEqual([path.basename(later)]);
      expect(existsSync(later)).toBe(false);
      expect(existsSync(vmDir)).toBe(true);
    } finally {
      await restarted.close();
    }
    // A delete without purge keeps the VM's files on purpose; a restart must not sweep them.
    expect(existsSync(path.join(vmDir, ".unfinished"))).toBe(false);
    await env.driver.remove(vm.id, { purgeDisks: false });
    const again = new LibvirtDriver(env.opts);
    try {
      await again.list();
      expect(existsSync(path.join(vmDir, "disk.qcow2"))).toBe(true);
    } finally {
      await again.close();
    }
    rmSync(vmDir, { recursive: true, force: true });
  }, 120_000);
});
