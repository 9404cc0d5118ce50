// The netns rig (netns-rig.ts) that issue 12's network tests stand on: the upstream answers HTTP
// and its DNS name from the host, the client netns reaches a server on the host's side of its
// veth, and stop() — or the process ending without it, by exit or SIGTERM — leaves no netns,
// link, process or temp dir behind. A failure part-way through a start cleans up as well.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { backend } from "./backends";
import { type Client, httpGet, resolverFor, startClient, startUpstream, type Upstream } from "./netns-rig";

const RIG = import.meta.dirname + "/netns-rig.ts";
const present =
  process.getuid?.() === 0 && existsSync("/usr/sbin/dnsmasq") && ["/usr/bin/busybox", "/bin/busybox"].some(existsSync);

/** What of these netns/links, live processes and directories still exists. */
function remaining(names: string[], pids: number[], dirs: string[] = []): string[] {
  const netns = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
  const links = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" });
  const alive = (pid: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8")); // a zombie is dead
    } catch {
      return false;
    }
  };
  return [
    ...names.filter((n) => netns.split("\n").some((l) => l.split(" ")[0] === n)).map((n) => `netns ${n}`),
    ...names.filter((n) => links.includes(`: ${n}:`) || links.includes(`: ${n}@`)).map((n) => `link ${n}`),
    ...pids.filter(alive).map((p) => `process ${p}`),
    ...dirs.filter((d) => existsSync(d)).map((d) => `dir ${d}`),
  ];
}

/** Temp dirs of the rig's netns (its processes' arguments name them). */
function rigDirs(pids: number[]): string[] {
  return pids.flatMap((p) => {
    const args = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
    return args.flatMap((a) => a.match(/\/[^=]*tandem-rig-tdt-[^/]+/)?.[0] ?? []);
  });
}

describe.skipIf(!backend("root, iproute2, busybox and dnsmasq (scripts/host/packages.sh)", present))(
  "netns rig",
  () => {
    let up: Upstream | null = null;
    let client: Client | null = null;
    afterAll(async () => {
      await up?.stop();
      await client?.stop();
    });

    it("the upstream answers HTTP and its DNS name from the host, and only that name", async () => {
      up = await startUpstream();
      expect(up.upstreamAddress).toMatch(/^198\.1[89]\./);
      expect(up.hostIf).toMatch(/^tdt-up-[0-9a-f]{6}$/);
      const got = await httpGet(up.httpUrl);
      expect(got).toEqual({ status: 200, body: up.body });
      // The readiness probe and this GET, both from the host's end of the veth.
      expect(up.requests().at(-1)).toEqual({ from: up.hostAddress, status: 200 });
      expect(new Set(up.requests().map((r) => r.from))).toEqual(new Set([up.hostAddress]));
      const resolver = resolverFor(up.dnsServer);
      expect(await resolver.resolve4(up.name)).toEqual([up.upstreamAddress]);
      await expect(resolver.resolve4("elsewhere.tandem.test")).rejects.toThrow();
      // The host reaches it over its own veth: the route to the upstream address leaves by hostIf.
      const route = execFileSync("ip", ["route", "get", up.upstreamAddress], { encoding: "utf8" });
      expect(route).toContain(`dev ${up.hostIf}`);
    });

    it("a client netns reaches a TCP server on the host's address of its veth", async () => {
      client = await startClient();
      const seen: string[] = [];
      const server = net.createServer((s) => {
        seen.push(s.remoteAddress ?? "");
        s.end(`hello ${client!.netns}\n`);
      });
      await new Promise<void>((r) => server.listen(0, client!.hostAddress, () => r()));
      try {
        const port = (server.address() as net.AddressInfo).port;
        const script = `const s = require("net").connect(${port}, "${client.hostAddress}");
          s.on("data", (d) => process.stdout.write(d));
          s.on("error", (e) => { console.error(e.code); process.exit(2); });`;
        const res = await client.run([process.execPath, "-e", script]);
        expect(res, res.stderr).toMatchObject({ code: 0, stdout: `hello ${client.netns}\n` });
        // It came from inside the client netns, not from the host itself.
        expect(seen).toEqual([client.clientAddress]);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });

    it("stop() removes netns, links, processes and temp dirs, and a second stop() is a no-op", async () => {
      expect(up && client).toBeTruthy();
      const names = [up!.netns, client!.netns];
      const pids = up!.pids;
      const dirs = rigDirs(pids);
      expect(dirs).toHaveLength(2); // httpd's -h and dnsmasq's --pid-file, one dir
      expect(remaining(names, pids, dirs)).toEqual([
        `netns ${up!.netns}`,
        `netns ${client!.netns}`,
        `link ${up!.netns}`,
        `link ${client!.netns}`,
        `process ${pids[0]}`,
        `process ${pids[1]}`,
        `dir ${dirs[0]}`,
        `dir ${dirs[1]}`,
      ]);
      await Promise.all([up!.stop(), up!.stop(), client!.stop()]);
      await client!.stop();
      expect(remaining(names, pids, dirs)).toEqual([]);
    });

    it("a start that fails part-way leaves nothing behind", async () => {
      const before = execFileSync("ip", ["netns", "list"], { encoding: "utf8" });
      // dnsmasq refuses the option and exits after the netns, veth and httpd exist.
      await expect(startUpstream({ dnsmasqOptions: ["--no-such-option"] })).rejects.toThrow(/dnsmasq.*exited/);
      expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).toBe(before);
      const leaked = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).match(/tdt-up-[0-9a-f]+/g);
      expect(leaked).toBeNull();
      expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" })).not.toMatch(/tandem-rig-tdt-up-/);
    });

    it.each(["exit", "SIGTERM"] as const)("a process that ends by %s without stop() cleans up", async (how) => {
      // A child node process starts both rigs, reports what it made, and waits: told to go on
      // stdin it exits; otherwise the test kills it.
      const script = `const rig = await import(${JSON.stringify(RIG)});
        const up = await rig.startUpstream(); const cl = await rig.startClient();
        console.log(JSON.stringify({ names: [up.netns, cl.netns], pids: up.pids }));
        process.stdin.once("data", () => process.exit(0));`;
      const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
          out += d.toString();
          if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
        });
        child.once("exit", (code) => reject(new Error(`child exited ${code} before reporting: ${out}`)));
      });
      const made = JSON.parse(line) as { names: string[]; pids: number[] };
      const dirs = rigDirs(made.pids);
      expect(remaining(made.names, made.pids, dirs)).toHaveLength(8);
      if (how === "SIGTERM") process.kill(child.pid!, "SIGTERM");
      else child.stdin!.write("go\n");
      await exited;
      // netns and links go synchronously in the handler; SIGKILLed servers finish dying on
      // their own, so wait for that (bounded) before looking.
      const deadline = Date.now() + 10_000;
      while (remaining([], made.pids).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(remaining(made.names, made.pids, dirs)).toEqual([]);
    });
  },
);
