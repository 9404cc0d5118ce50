// Attack (issue #10 item 3): an operator publishes a container port on a host port that a host
// service uses, and takes over that service for local clients. Published ports were DNAT rules
// in the nat prerouting *and output* hooks for any port 1-65535, so a container publishing
// Tandem's own port served its own "login page" to the admin's browser on 127.0.0.1, and one
// publishing a privileged port or a port a host daemon listens on captured local connections.
//
// Through the real API as an operator (real server, real conmon + crun): publish Tandem's own
// port, a privileged port, and a port a host process listens on, then connect to each locally.
//
// before the fix: all three creates succeeded and a local connection to each port got the
// container's page instead of Tandem, the host service or a refusal; seen at 2febe26.
// after the fix: each create fails with an error naming the port (Tandem's own port; outside
// TANDEM_PUBLISH_PORT_RANGE, 1024-65535 by default; in use on the host), and the port keeps
// answering as before. A free port in the range is published, held by Tandem (nothing else can
// bind it) and reaches the container from 127.0.0.1.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Guest } from "../../../contract/guest";
import { LOCAL_HOST_ID } from "../../../domain/ids";
import { ContainerDriver } from "../../../drivers/container";
import { HAVE_BACKEND } from "../../../drivers/container/test/support";
import { type Client, removeCgroupParent, startTestServer, until, type TestServer } from "../../harness";
import { freePort } from "../../support";
import { makePrincipals } from "../support";

const demoDir = path.resolve(import.meta.dirname, "../../../../data/images/demo");
const tag = randomBytes(3).toString("hex");
const cgroupParent = `tandem-pp-${tag}`;
const PAGE = `fake-login-${tag}`;

let server: TestServer;
let driver: ContainerDriver | null = null;
let operator: Client;
let admin: Client;
const created: string[] = [];
const servers: net.Server[] = [];

/** What a local client reads from 127.0.0.1:port within a few seconds ("refused" if nothing listens). */
function localRead(port: number, send = "GET / HTTP/1.0\r\n\r\n"): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => s.write(send));
    let text = "";
    s.setTimeout(5000, () => s.destroy());
    s.on("data", (d) => (text += d.toString()));
    s.on("close", () => resolve(text));
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED" ? "refused" : `error ${e.code}`));
  });
}

/** Creates a container publishing hostPort → its page on 8080; returns the finished task. */
async function publish(name: string, hostPort: number): Promise<{ state: string; error: string | null; id: string }> {
  const res = await operator.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "container",
    name,
    image: "demo-busybox",
    vcpus: 1,
    memoryMiB: 64,
    command: ["sh", "-c", `mkdir -p /www && echo ${PAGE} > /www/index.html && exec httpd -f -p 8080 -h /www`],
    ports: [{ hostPort, guestPort: 8080, protocol: "tcp" }],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  created.push(res.body.guest.id);
  const task = await until(async () => {
    try {
      const t = (
        await operator.json<{ task: { state: string; error: string | null } }>(
          "GET",
          `/api/v1/tasks/${res.body.taskId}`,
        )
      ).body.task;
      return t.state === "succeeded" || t.state === "failed" ? t : null;
    } catch (e) {
      // Tandem's own port published: the poll itself reached the container (or nothing yet).
      return { state: "tandem-captured", error: String(e) };
    }
  }, 30_000);
  if (task.state !== "failed") {
    // The container's web server starts after create returns.
    await until(async () => (await localRead(hostPort)).includes(PAGE) || null, 5000).catch(() => undefined);
  }
  return { ...task, id: res.body.guest.id };
}

describe.skipIf(!HAVE_BACKEND)("attack: a published port shadows a host service", () => {
  let tandemPort: number;
  let hostServicePort: number;
  let privilegedPort: number;
  const hostMarker = `host-service-${tag}`;

  beforeAll(async () => {
    expect(existsSync(path.join(demoDir, "manifest.json")), "setup builds the demo images first").toBe(true);
    tandemPort = await freePort({ anyAddress: true });
    privilegedPort = await freePort({ anyAddress: true, range: [900, 1023] });
    const hostService = net.createServer((s) => {
      s.on("error", () => undefined);
      s.end(`${hostMarker}\n`);
    });
    await new Promise<void>((r) => hostService.listen(0, "127.0.0.1", () => r()));
    servers.push(hostService);
    hostServicePort = (hostService.address() as net.AddressInfo).port;
    server = await startTestServer({
      env: { TANDEM_PORT: String(tandemPort) },
      driverFactory: (dataDir) => [
        (driver = new ContainerDriver({
          hostId: LOCAL_HOST_ID,
          dataDir,
          logger: pino({ level: "silent" }),
          bridge: `tdmpp${tag}`,
          subnet: `10.217.${parseInt(tag.slice(0, 2), 16)}.0/24`,
          nftTable: `tandem_pp${tag}`,
          cgroupParent,
          netnsPrefix: `tdmpp${tag}-`,
          shutdownTimeoutMs: 3000,
          // What server/main.ts passes from the configuration.
          tandemPort,
          publishPortRange: { first: 1024, last: 65535 },
        })),
      ],
      containers: true,
      demoImageDir: demoDir,
    });
    const p = await makePrincipals(server, "pp");
    operator = p.operator;
    admin = p.admin;
  });

  afterAll(async () => {
    for (const id of created) await admin?.raw("DELETE", `/api/v1/guests/${id}?purge=true`).catch(() => {});
    for (const id of created)
      await until(async () => (await admin.raw("GET", `/api/v1/guests/${id}`)).status === 404, 20_000).catch(() => {});
    // Whatever the API could not remove (before the fix Tandem's own port was captured).
    for (const g of (await driver?.list().catch(() => [])) ?? []) {
      await driver!.remove(g.id, { purgeDisks: true }).catch(() => undefined);
    }
    for (const s of servers) s.close();
    await server?.stop();
    await driver?.network.destroy();
    removeCgroupParent(cgroupParent);
  });

  it("cannot publish a privileged port", async () => {
    const task = await publish("pp-low", privilegedPort);
    const local = await localRead(privilegedPort);
    expect({ state: task.state, containerAnswered: local.includes(PAGE) }).toEqual({
      state: "failed",
      containerAnswered: false,
    });
    expect(task.error).toMatch(new RegExp(`${privilegedPort}.*outside.*1024-65535`));
  });

  it("cannot publish a port a host process listens on", async () => {
    const task = await publish("pp-taken", hostServicePort);
    const local = await localRead(hostServicePort);
    expect({ state: task.state, containerAnswered: local.includes(PAGE) }).toEqual({
      state: "failed",
      containerAnswered: false,
    });
    expect(task.error).toMatch(new RegExp(`${hostServicePort}.*in use on the host`));
    expect(local).toContain(hostMarker);
  });

  it("publishes a free port: held by Tandem, reached from 127.0.0.1", async () => {
    const port = await freePort({ anyAddress: true });
    const task = await publish("pp-free", port);
    expect(task).toMatchObject({ state: "succeeded" });
    expect(await localRead(port)).toContain(PAGE);
    // Held: a host process can no longer take the port while the container publishes it.
    const bind = await new Promise<string>((resolve) => {
      const s = net.createServer();
      s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      s.listen(port, "127.0.0.1", () => s.close(() => resolve("bound")));
    });
    expect(bind).toBe("EADDRINUSE");
  });

  // Last: before the fix this one captured the test's own API calls too.
  it("cannot publish Tandem's own port (a fake login page for the admin)", async () => {
    const task = await publish("pp-tandem", tandemPort);
    const local = await localRead(tandemPort);
    expect({ state: task.state, containerAnswered: local.includes(PAGE) }).toEqual({
      state: "failed",
      containerAnswered: false,
    });
    expect(task.error).toMatch(new RegExp(`${tandemPort}.*Tandem's own port`));
    const health = await localRead(
      tandemPort,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${tandemPort}\r\nConnection: close\r\n\r\n`,
    );
    expect(health).toMatch(/^HTTP\/1\.1 200/);
  });
});
