// The VNC bridge as a browser uses it: a real WebSocket client (ws) through Tandem's port to a
// stand-in VNC server. Tandem ends the websocket itself: the server's RFB greeting arrives as a
// binary frame, bytes go both ways unchanged (large ones too), and nothing of the browser's
// request reaches the VNC server. A signed-out session loses its screen at once.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Guest } from "../../contract/guest";
import { Client } from "../harness";
import { makePrincipals, startCustomServer, startVncStandIn, type CustomServer, type Principals } from "./support";

let server: CustomServer;
let vnc: Awaited<ReturnType<typeof startVncStandIn>>;
let who: Principals;

beforeAll(async () => {
  vnc = await startVncStandIn();
  server = await startCustomServer({ vncPort: () => vnc.port });
  who = await makePrincipals(server, "vp");
});
afterAll(async () => {
  await server?.stop();
  await vnc?.close();
});

async function vmFor(c: Client): Promise<string> {
  const r = await c.json<{ guest: Guest; taskId: string }>("POST", "/api/v1/guests", {
    kind: "vm",
    name: `vp-${Math.random().toString(36).slice(2, 8)}`,
    image: "demo-vm",
    vcpus: 1,
    memoryMiB: 128,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  await server.services.tasks.waitFor(r.body.taskId, 10_000);
  return r.body.guest.id;
}

/** Opens the screen the way noVNC does: ticket, then a websocket with the session cookie. */
async function openScreen(c: Client, guestId: string): Promise<{ ws: WebSocket; frames: Buffer[] }> {
  const t = await c.json<{ path: string }>("POST", `/api/v1/guests/${guestId}/vnc`);
  expect(t.status).toBe(200);
  const url = new URL(t.body.path, server.url.replace(/^http/, "ws"));
  const ws = new WebSocket(url, ["binary"], { headers: { cookie: c.cookie!, origin: server.url } });
  const frames: Buffer[] = [];
  ws.on("message", (d: Buffer, binary) => {
    expect(binary).toBe(true);
    frames.push(d);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, frames };
}

const until = async (ok: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("VNC bridge", () => {
  it("greets with RFB in a binary frame and copies bytes both ways, unchanged", async () => {
    const id = await vmFor(who.operator);
    const heads = vnc.heads.length;
    const { ws, frames } = await openScreen(who.operator, id);
    expect(ws.protocol).toBe("binary");
    await until(() => frames.length > 0, 5000, "the greeting");
    expect(frames[0]!.toString("latin1")).toBe("RFB 003.008\n");
    // A large message (bigger than one TCP segment and one ws frame header size class).
    const big = randomBytes(200_000);
    ws.send(big);
    await until(() => Buffer.concat(frames.slice(1)).length >= big.length, 10_000, "the echo");
    expect(Buffer.concat(frames.slice(1)).equals(big)).toBe(true);
    ws.close();
    // The VNC server received exactly the client's bytes: no HTTP request, no cookie.
    expect(vnc.heads.length).toBe(heads + 1);
    expect(vnc.heads[heads]).not.toMatch(/cookie|GET |tandem_session/i);
  });

  it("ends the screen of a session that signs out", async () => {
    const c = new Client(server.url);
    expect((await c.login(who.users.operator.username, who.users.operator.password)).status).toBe(200);
    const id = await vmFor(c);
    const { ws } = await openScreen(c, id);
    let closed = false;
    ws.on("close", () => (closed = true));
    expect((await c.raw("DELETE", "/api/v1/session")).status).toBe(204);
    await until(() => closed, 1000, "the screen to close within a second of sign-out");
  });
});
