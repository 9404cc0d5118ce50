// Issue 12's figure: a container made through the REST API onto a NAT network with a volume,
// beside the plain create (Tandem's own isolated bridge, no volume) on the same server, run by
// run interleaved so the machine's load falls on both alike. The real server has the libvirt
// driver (the network's libvirt network and dnsmasq, the storage pool), the container driver
// (conmon + crun) and the host firewall, each under bench-only names, removed afterwards.
import path from "node:path";
import pino from "pino";
import type { Guest } from "../server/contract/guest";
import type { Network } from "../server/contract/network";
import type { Volume } from "../server/contract/storage";
import { LOCAL_HOST_ID } from "../server/domain/ids";
import type { ContainerDriver } from "../server/drivers/container";
import { NftHostFirewall } from "../server/drivers/netfilter/host-firewall";
import { LibvirtDriver } from "../server/drivers/vm";
import { removeHostGuard } from "../server/drivers/vm/libvirt/host-guard";
import { URI } from "../server/drivers/vm/libvirt/test/support";
import { testContainerDriver } from "../server/test/harness";
import { holdIpForward } from "../server/test/ip-forward";
import { connect } from "../native/libvirt/index";
import { fmt, median, type Bench, type BenchRow } from "./harness";
import { benchServer, removeCgroupParent, waitTask } from "./support";

const root = path.resolve(import.meta.dirname, "..");
const TAG = "bnet";
const POOL = "tandem-bench-net";
const GUARD = "tandem_bench_net_guard";
const FIREWALL = "tandem_bench_net";

type Admin = Awaited<ReturnType<typeof benchServer>>["admin"];

async function createToRunning(admin: Admin, ids: string[], body: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const res = await admin.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    command: ["sleep", "1000"],
    ...body,
  });
  if (res.status !== 202) throw new Error(`create failed: ${JSON.stringify(res.body)}`);
  ids.push(res.body.guest.id);
  await waitTask(admin, res.body.taskId, 60_000, 2);
  return performance.now() - t0;
}

async function remove(admin: Admin, ids: string[], id: string): Promise<void> {
  const r = await admin.json<{ taskId: string }>("DELETE", `/api/v1/guests/${id}?purge=true`);
  if (r.status === 202) await waitTask(admin, r.body.taskId, 60_000, 10);
  ids.splice(ids.indexOf(id), 1);
}

async function measure(runs: number) {
  const ipf = holdIpForward();
  const firewall = new NftHostFirewall({ table: FIREWALL });
  let containers: ContainerDriver | null = null;
  const { admin, stop } = await benchServer({
    driverFactory: (dir) => [
      new LibvirtDriver({
        uri: URI,
        hostId: LOCAL_HOST_ID,
        dataDir: dir,
        accel: "auto",
        logger: pino({ level: "silent" }),
        shutdownTimeoutMs: 30_000,
        isolatedNetwork: { name: "tandem-bench-net-iso", bridge: "tdmbnetv", prefix: "10.233.9" },
        hostGuard: { table: GUARD },
        manageNetworks: true,
        manageStorage: true,
        storagePool: POOL,
      }),
      (containers = testContainerDriver(dir, TAG, "10.233.10.0/24")),
    ],
    containers: true,
    hostFirewall: firewall,
    demoImageDir: path.join(root, "data/images/demo"),
  });
  const ids: string[] = [];
  const networks: string[] = [];
  const volumes: string[] = [];
  const fig = { plain: [] as number[], nat: [] as number[], natVolume: [] as number[], volume: [] as number[] };
  try {
    const net = await admin.json<{ network: Network }>("POST", "/api/v1/networks", {
      name: "bench-nat",
      type: "nat",
      ipv4: { subnet: "10.233.0.0/24", gateway: "10.233.0.1", dhcp: { start: "10.233.0.128", end: "10.233.0.254" } },
    });
    if (net.status !== 201) throw new Error(`network: ${JSON.stringify(net.body)}`);
    networks.push(net.body.network.id);
    const nics = [{ network: net.body.network.id }];
    for (let i = 0; i < runs; i++) {
      fig.plain.push(await createToRunning(admin, ids, { name: `bench-plain-${i}` }));
      fig.nat.push(await createToRunning(admin, ids, { name: `bench-nat-${i}`, nics }));
      const t0 = performance.now();
      const vol = await admin.json<{ volume: Volume }>("POST", "/api/v1/volumes", {
        name: `bench-vol-${i}`,
        sizeGiB: 1,
      });
      if (vol.status !== 201) throw new Error(`volume: ${JSON.stringify(vol.body)}`);
      fig.volume.push(performance.now() - t0);
      volumes.push(vol.body.volume.id);
      fig.natVolume.push(
        await createToRunning(admin, ids, {
          name: `bench-natvol-${i}`,
          nics,
          volumes: [{ volume: vol.body.volume.id, path: "/data" }],
        }),
      );
      // purge takes the volume with its container
      for (const id of [...ids]) await remove(admin, ids, id);
      volumes.pop();
    }
  } finally {
    for (const id of [...ids]) await remove(admin, ids, id).catch(() => undefined);
    for (const v of volumes) await admin.raw("DELETE", `/api/v1/volumes/${v}`).catch(() => undefined);
    // The fresh database also made the default NAT network: every network goes.
    const all = await admin.json<{ networks: Network[] }>("GET", "/api/v1/networks").catch(() => null);
    for (const n of new Set([...networks, ...(all?.body.networks ?? []).map((x) => x.id)])) {
      await admin.raw("DELETE", `/api/v1/networks/${n}`).catch(() => undefined);
    }
    await stop();
    await firewall.destroy().catch(() => undefined);
    await (containers as ContainerDriver | null)?.network.destroy().catch(() => undefined);
    removeCgroupParent(`tandem-${TAG}`);
    await removeHostGuard(GUARD).catch(() => undefined);
    const conn = await connect(URI);
    try {
      await ipf.restore(conn);
      await conn.storagePoolDestroy(POOL).catch(() => undefined);
      await conn.storagePoolUndefine(POOL).catch(() => undefined);
    } finally {
      await conn.close();
    }
  }
  return fig;
}

const bench: Bench = {
  title: "Networks and volumes (issue 12)",
  async run(): Promise<BenchRow[]> {
    const f = await measure(7);
    const plain = median(f.plain);
    return [
      {
        name: "API create → running p50, NAT network NIC",
        value: median(f.nat),
        unit: "ms",
        baseline: { name: "the plain create (Tandem's isolated bridge), same server, interleaved", value: plain },
        note: `address from the service, veth on the network's bridge, resolv.conf, DNS name through virNetworkUpdate, firewall rewrite; median of ${f.nat.length}`,
      },
      {
        name: "API create → running p50, NAT network NIC + 1 GiB volume at /data",
        value: median(f.natVolume),
        unit: "ms",
        baseline: { name: "the plain create, same server, interleaved", value: plain },
        note: `the volume made beforehand (POST /api/v1/volumes: libvirt volume + mkfs.ext4, p50 ${fmt(median(f.volume))} ms); loop mount + idmapped bind at start`,
      },
    ];
  },
};

export default bench;
