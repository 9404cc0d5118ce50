// The whole server on real libvirtd (and conmon + crun) for the integration tests of issue 12's
// networks, NICs, firewall, volumes and disks: one shared set-up and clean-up so that every such
// test makes and removes the same things the same way. It owns
// - a data directory from the template database holding one unrealized Network row, so that
//   ensureDefault finds a network and the default NAT network (10.88/16, ip_forward on) is never
//   made;
// - the LibvirtDriver (networks and/or storage managed, the test's own isolated network and host
//   guard table), an optional container driver and NftHostFirewall, all under names derived from
//   the test's tag so that nothing of another test's or a developer's Tandem is touched;
// - the signed-in admin;
// - the afterAll clean-up, also after a failure: guests newest first (a clone's disk rests on its
//   source's), volumes, networks, the server, the firewall table, the container network and
//   cgroup parent, libvirt networks left by name, the test's own clean-up, ip_forward, the host
//   guard, the data directory.
// Tests register their own beforeAll after calling networkServer (it runs after the server is
// up) and their own afterAll after it too (it runs first: vitest runs after-hooks as a stack).
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, expect } from "vitest";
import { openDb } from "../db/client";
import { LOCAL_HOST_ID } from "../domain/ids";
import type { ContainerDriver } from "../drivers/container";
import { NftHostFirewall } from "../drivers/netfilter/host-firewall";
import { LibvirtDriver } from "../drivers/vm";
import { removeHostGuard } from "../drivers/vm/libvirt/host-guard";
import { libvirtNetworkName } from "../drivers/vm/libvirt/network-xml";
import { connectLibvirt, URI, type Connection } from "../drivers/vm/libvirt/test/support";
import { Client, removeCgroupParent, startTestServer, testContainerDriver, until, type TestServer } from "./harness";
import { holdIpForward } from "./ip-forward";

export const DEMO_DIR = path.resolve(import.meta.dirname, "../../data/images/demo");
/** The host's busybox (a listed backend, backends.ts), for commands run in a guest's netns. */
export const BUSYBOX = ["/usr/bin/busybox", "/bin/busybox"].find((p) => existsSync(p)) ?? "busybox";

export interface NetworkServerOptions {
  /**
   * 1-11 lowercase letters/digits, unique per run (a short name plus a random suffix). Names the
   * data dir (tandem-<tag>-*), the held row, the isolated network (tandem-test-<tag>, bridge
   * tdl<tag>), the host guard (tvt_<tag>), the container driver (harness testContainerDriver:
   * tdm<tag>, tandem_<tag>, tandem-<tag>) and the firewall table (tdt_<tag>).
   */
  tag: string;
  /** The VM driver's own isolated network, a /24 prefix such as "10.234.101". */
  vmPrefix: string;
  /** Make a container driver on this subnet (a /24 of the test's own). */
  containerSubnet?: string;
  /** Realize Tandem networks as libvirt networks (default true). */
  manageNetworks?: boolean;
  /** Offer libvirt storage with this default pool (remove it in `cleanup` with removePools). */
  storagePool?: string;
  /** Give the server the test's own NftHostFirewall (table tdt_<tag>). */
  firewall?: boolean;
  /** The server's environment; a function when it names something in the data directory. */
  env?: Record<string, string> | ((dataDir: string) => Record<string, string>);
  /** Before the server starts: what the test makes in the data directory or libvirt first. */
  prepare?: (fx: NetworkServer) => Promise<void> | void;
  /**
   * After the server, guests, volumes and networks are gone, before ip_forward is put back and
   * the connection closes (undefined when the set-up failed before connecting).
   */
  cleanup?: (conn: Connection | undefined) => Promise<void> | void;
}

/** What a test reads of the running set-up; the tracked lists are removed in afterAll. */
export class NetworkServer {
  readonly guests: string[] = [];
  readonly networks: string[] = [];
  readonly volumes: string[] = [];
  readonly firewall: NftHostFirewall | undefined;
  dataDir = "";
  containers: ContainerDriver | undefined;
  private parts: { conn?: Connection; vms?: LibvirtDriver; server?: TestServer; admin?: Client } = {};

  constructor(readonly opts: NetworkServerOptions) {
    if (!/^[a-z0-9]{1,11}$/.test(opts.tag)) throw new Error("tag: 1-11 lowercase letters/digits");
    this.firewall = opts.firewall ? new NftHostFirewall({ table: `tdt_${opts.tag}` }) : undefined;
  }

  get conn(): Connection {
    return this.must("conn");
  }
  get vms(): LibvirtDriver {
    return this.must("vms");
  }
  get server(): TestServer {
    return this.must("server");
  }
  get admin(): Client {
    return this.must("admin");
  }
  /** A container's network namespace (the container driver's prefix and the guest's uuid). */
  netnsOf(id: string): string {
    return `tdm${this.opts.tag}-${id.split(".")[2]}`;
  }

  private must<K extends keyof NetworkServer["parts"]>(k: K): NonNullable<NetworkServer["parts"][K]> {
    const v = this.parts[k];
    if (!v) throw new Error(`network-server: no ${k} (beforeAll failed or has not run)`);
    return v;
  }

  async start(): Promise<void> {
    const { tag } = this.opts;
    expect(existsSync(path.join(DEMO_DIR, "manifest.json")), "setup builds the demo images first").toBe(true);
    const template = process.env.TANDEM_TEST_TEMPLATE_DB;
    if (!template) throw new Error("globalSetup did not prepare a template database");
    this.dataDir = mkdtempSync(path.join(os.tmpdir(), `tandem-${tag}-`));
    copyFileSync(template, path.join(this.dataDir, "tandem.db"));
    const db = await openDb(`file:${path.join(this.dataDir, "tandem.db")}`);
    // Never realized (no libvirt network): it only stops the default network from being made.
    await db.network.create({
      data: { id: randomUUID(), name: `held-${tag}`, type: "isolated", bridge: `tdh${tag}`, dnsForwarders: "[]" },
    });
    await db.$disconnect();
    this.parts.conn = await connectLibvirt();
    await this.opts.prepare?.(this);
    this.parts.server = await startTestServer({
      dataDir: this.dataDir,
      driverFactory: (dir) => {
        const vms = (this.parts.vms = new LibvirtDriver({
          uri: URI,
          hostId: LOCAL_HOST_ID,
          dataDir: dir,
          accel: "auto",
          logger: pino({ level: "silent" }),
          shutdownTimeoutMs: 30_000,
          isolatedNetwork: { name: `tandem-test-${tag}`, bridge: `tdl${tag}`, prefix: this.opts.vmPrefix },
          hostGuard: { table: `tvt_${tag}` },
          manageNetworks: this.opts.manageNetworks ?? true,
          manageStorage: this.opts.storagePool !== undefined,
          storagePool: this.opts.storagePool,
        }));
        const subnet = this.opts.containerSubnet;
        if (!subnet) return [vms];
        return [vms, (this.containers = testContainerDriver(dir, tag, subnet))];
      },
      containers: this.opts.containerSubnet !== undefined,
      demoImageDir: DEMO_DIR,
      hostFirewall: this.firewall,
      env: typeof this.opts.env === "function" ? this.opts.env(this.dataDir) : this.opts.env,
    });
    const admin = new Client(this.parts.server.url);
    await admin.login();
    this.parts.admin = admin;
  }

  /** Every step runs even when one before it failed: nothing may stay on the host. */
  async stop(ipForward: ReturnType<typeof holdIpForward>): Promise<void> {
    const { admin, server, conn } = this.parts;
    for (const id of [...this.guests].reverse()) {
      await admin?.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
      await until(async () => (await admin?.raw("GET", `/api/v1/guests/${id}`))?.status === 404, 60_000).catch(
        () => {},
      );
    }
    for (const id of this.volumes) await admin?.raw("DELETE", `/api/v1/volumes/${id}`).catch(() => {});
    for (const id of this.networks) await admin?.raw("DELETE", `/api/v1/networks/${id}`).catch(() => {});
    await server?.stop().catch(() => undefined);
    await this.firewall?.destroy().catch(() => undefined);
    await this.containers?.network.destroy().catch(() => undefined);
    removeCgroupParent(`tandem-${this.opts.tag}`);
    // Whatever the API could not remove (a failed step above) goes by name.
    for (const id of this.networks) {
      const name = libvirtNetworkName({ id });
      await conn?.networkDestroy(name).catch(() => undefined);
      await conn?.networkUndefine(name).catch(() => undefined);
    }
    try {
      await this.opts.cleanup?.(conn);
    } finally {
      await ipForward.restore(conn).catch(() => undefined);
      await conn?.close().catch(() => undefined);
      await removeHostGuard(`tvt_${this.opts.tag}`);
      if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/** Registers the set-up (beforeAll) and the clean-up (afterAll) in the calling describe. */
export function networkServer(opts: NetworkServerOptions): NetworkServer {
  const fx = new NetworkServer(opts);
  let ipForward: ReturnType<typeof holdIpForward> | undefined;
  beforeAll(async () => {
    ipForward = holdIpForward();
    await fx.start();
  });
  afterAll(async () => {
    if (ipForward) await fx.stop(ipForward);
  }, 180_000);
  return fx;
}

/** Removes libvirt storage pools with every volume in them and their directories. */
export async function removePools(conn: Connection | undefined, pools: string[]): Promise<void> {
  for (const pool of pools) {
    for (const v of (await conn?.listStorageVolumes(pool).catch(() => [])) ?? []) {
      await conn?.storageVolDelete(pool, v.name).catch(() => undefined);
    }
    await conn?.storagePoolDestroy(pool).catch(() => undefined);
    await conn?.storagePoolDelete(pool).catch(() => undefined);
    await conn?.storagePoolUndefine(pool).catch(() => undefined);
  }
}
