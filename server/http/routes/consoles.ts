// Guest extras that only some backends have: the graphical console ticket, snapshots (VMs) and
// output logs (containers). The services check each (BAD_REQUEST when the guest's backend lacks
// it) and run snapshot work as tasks under the guest's lock; these routes only translate.
import { streamText } from "hono/streaming";
import { GuestIdParam } from "../../contract/guest";
import { CreateSnapshotBody, LogsQuery, SnapshotName, VncTicket } from "../../contract/guest-extras";
import { LogLines, SnapshotList, TaskRef } from "../../contract/responses";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

const SnapshotParams = GuestIdParam.extend({ name: SnapshotName });

export function consoleRoutes(s: Services): AnyRoute[] {
  const actor = (p: { userId: string; username: string }) => ({ userId: p.userId, username: p.username });
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/vnc",
      access: "operator",
      tag: "consoles",
      summary: "A single-use, 30-second ticket for the VM's graphical console websocket",
      params: GuestIdParam,
      responses: {
        200: { description: "ticket", schema: VncTicket },
      },
      handler: async (c, { params, principal }) => {
        const guest = await s.consoles.vncReady(params.id);
        const t = s.consoleTickets.issue(principal.userId, guest.id);
        return c.json({ ...t, path: `/api/v1/vnc/${t.ticket}` });
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/snapshots",
      access: "viewer",
      tag: "snapshots",
      summary: "A VM's snapshots",
      params: GuestIdParam,
      responses: { 200: { description: "snapshots", schema: SnapshotList } },
      handler: async (c, { params }) => {
        return c.json({ snapshots: await s.snapshots.list(params.id) });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/snapshots",
      access: "operator",
      tag: "snapshots",
      summary: "Take a snapshot (a task)",
      params: GuestIdParam,
      body: CreateSnapshotBody,
      responses: { 202: { description: "accepted", schema: TaskRef } },
      handler: async (c, { params, body, principal }) => {
        return c.json(await s.snapshots.create(actor(principal), params.id, body.name, body.description), 202);
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/snapshots/:name/revert",
      access: "operator",
      tag: "snapshots",
      summary: "Revert to a snapshot (a task)",
      params: SnapshotParams,
      responses: { 202: { description: "accepted", schema: TaskRef } },
      handler: async (c, { params, principal }) => {
        return c.json(await s.snapshots.revert(actor(principal), params.id, params.name), 202);
      },
    }),
    defineRoute({
      method: "delete",
      path: "/api/v1/guests/:id/snapshots/:name",
      access: "operator",
      tag: "snapshots",
      summary: "Delete a snapshot (a task)",
      params: SnapshotParams,
      responses: { 202: { description: "accepted", schema: TaskRef } },
      handler: async (c, { params, principal }) => {
        return c.json(await s.snapshots.remove(actor(principal), params.id, params.name), 202);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/logs",
      access: "viewer",
      tag: "logs",
      summary: "A container's output; follow=true streams new lines as NDJSON until the client leaves",
      params: GuestIdParam,
      query: LogsQuery,
      responses: { 200: { description: "log lines", schema: LogLines } },
      handler: async (c, { params, query, principal }) => {
        const read = await s.consoles.logs(params.id);
        if (!query.follow) {
          const lines = [];
          for await (const l of await read({ tail: query.tail })) lines.push(l);
          return c.json({ lines: lines.slice(-query.tail) });
        }
        c.header("Content-Type", "application/x-ndjson");
        return streamText(c, async (out) => {
          const ac = new AbortController();
          // A follow lasts until the client leaves or its credentials are revoked.
          const untrack = s.live.track(principal, "viewer", () => ac.abort());
          out.onAbort(() => ac.abort());
          try {
            if (ac.signal.aborted) return;
            for await (const l of await read({ follow: true, tail: query.tail, signal: ac.signal })) {
              if (ac.signal.aborted) break;
              await out.write(JSON.stringify(l) + "\n");
            }
          } finally {
            untrack();
          }
        });
      },
    }),
  ];
}
