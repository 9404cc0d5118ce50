// Guest extras that only some backends have: the graphical console ticket, snapshots (VMs) and
// output logs (containers). Each answers BAD_REQUEST when the guest's backend lacks it.
import { streamText } from "hono/streaming";
import { z } from "zod";
import { CreateSnapshotBody, LogsQuery, SnapshotName, VncTicket } from "../../contract/guest-extras";
import { LogLines, SnapshotList, TaskRef } from "../../contract/responses";
import { canLog, canSnapshot, canVnc, type GuestDriver } from "../../domain/driver";
import { AppError } from "../../domain/errors";
import type { Services } from "../../services";
import { defineRoute, type AnyRoute } from "../route";

const IdParam = z.object({ id: z.string().min(1).max(200) });
const SnapshotParams = z.object({ id: z.string().min(1).max(200), name: SnapshotName });

function need<T extends GuestDriver>(d: GuestDriver, guard: (d: GuestDriver) => d is T, what: string, kind: string): T {
  if (!guard(d)) throw new AppError("BAD_REQUEST", `${what} is not available for ${kind}s`);
  return d;
}

export function consoleRoutes(s: Services): AnyRoute[] {
  const driverOf = async (id: string) => {
    const guest = await s.guests.get(id);
    return { guest, driver: s.guests.driverFor(guest.kind) };
  };
  const actor = (p: { userId: string; username: string }) => ({ userId: p.userId, username: p.username });
  return [
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/vnc",
      access: "operator",
      tag: "consoles",
      summary: "A single-use, 30-second ticket for the VM's graphical console websocket",
      params: IdParam,
      responses: {
        200: { description: "ticket", schema: VncTicket },
      },
      handler: async (c, { params, principal }) => {
        const { guest, driver } = await driverOf(params.id);
        need(driver, canVnc, "a graphical console", guest.kind);
        if (guest.state !== "running" && guest.state !== "paused") {
          throw new AppError("INVALID_STATE", `${guest.name} is ${guest.state}; start it to see its screen`);
        }
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
      params: IdParam,
      responses: { 200: { description: "snapshots", schema: SnapshotList } },
      handler: async (c, { params }) => {
        const { guest, driver } = await driverOf(params.id);
        return c.json({ snapshots: await need(driver, canSnapshot, "snapshots", guest.kind).listSnapshots(guest.id) });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/v1/guests/:id/snapshots",
      access: "operator",
      tag: "snapshots",
      summary: "Take a snapshot (a task)",
      params: IdParam,
      body: CreateSnapshotBody,
      responses: { 202: { description: "accepted", schema: TaskRef } },
      handler: async (c, { params, body, principal }) => {
        const { guest, driver } = await driverOf(params.id);
        const d = need(driver, canSnapshot, "snapshots", guest.kind);
        const taskId = await s.tasks.start(actor(principal), `snapshot ${body.name}`, guest, () =>
          d.createSnapshot(guest.id, body.name, body.description),
        );
        return c.json({ taskId }, 202);
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
        const { guest, driver } = await driverOf(params.id);
        const d = need(driver, canSnapshot, "snapshots", guest.kind);
        const taskId = await s.tasks.start(actor(principal), `revert ${params.name}`, guest, () =>
          d.revertSnapshot(guest.id, params.name),
        );
        return c.json({ taskId }, 202);
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
        const { guest, driver } = await driverOf(params.id);
        const d = need(driver, canSnapshot, "snapshots", guest.kind);
        const taskId = await s.tasks.start(actor(principal), `delete snapshot ${params.name}`, guest, () =>
          d.deleteSnapshot(guest.id, params.name),
        );
        return c.json({ taskId }, 202);
      },
    }),
    defineRoute({
      method: "get",
      path: "/api/v1/guests/:id/logs",
      access: "viewer",
      tag: "logs",
      summary: "A container's output; follow=true streams new lines as NDJSON until the client leaves",
      params: IdParam,
      query: LogsQuery,
      responses: { 200: { description: "log lines", schema: LogLines } },
      handler: async (c, { params, query, principal }) => {
        const { guest, driver } = await driverOf(params.id);
        const d = need(driver, canLog, "logs", guest.kind);
        if (!query.follow) {
          const lines = [];
          for await (const l of await d.logs(guest.id, { tail: query.tail })) lines.push(l);
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
            for await (const l of await d.logs(guest.id, { follow: true, tail: query.tail, signal: ac.signal })) {
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
