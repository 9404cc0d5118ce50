// The typed socket.io contract shared by server and browser. Every client→server event that
// expects an answer takes an ack called with Result<T>; every payload has a zod schema below,
// which the server checks before doing anything.
import { z } from "zod";
import { Guest, GuestAction, GuestId } from "./guest";
import type { MetricPoint } from "./metrics";
import type { Ack } from "./result";
import type { Task } from "./task";

export const GuestActionPayload = z.object({ id: GuestId, action: GuestAction });
export const MetricsSubscribePayload = z.object({ ids: z.array(GuestId).max(2000) });
export const ConsoleOpenPayload = z.object({
  guestId: GuestId,
  /** serial: VM serial console or container TTY; exec: a new shell in a running container. */
  mode: z.enum(["serial", "exec"]).default("serial"),
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});
export const ConsoleInputPayload = z.object({
  consoleId: z.string().min(1).max(100),
  data: z.instanceof(Uint8Array).or(z.instanceof(ArrayBuffer)).or(z.string().max(65536)),
});
export const ConsoleResizePayload = z.object({
  consoleId: z.string().min(1).max(100),
  cols: z.number().int().min(1).max(1000),
  rows: z.number().int().min(1).max(1000),
});
export const ConsoleClosePayload = z.object({ consoleId: z.string().min(1).max(100) });

export type GuestSummaryPoint = { cpuPct: number; memUsed: number; memLimit: number };

/** The host summary is not pushed: the dashboard re-reads GET /api/v1/host every 30 s. */
export interface ServerToClientEvents {
  "guest:upsert": (guest: Guest) => void;
  "guest:removed": (payload: { id: string }) => void;
  "task:update": (task: Task) => void;
  /** One point per subscribed guest per tick. */
  "metrics:point": (payload: { id: string; point: MetricPoint }) => void;
  /** The overview room: CPU and memory of every running guest, every second. */
  "metrics:overview": (payload: { t: number; guests: Record<string, GuestSummaryPoint> }) => void;
  "console:data": (payload: { consoleId: string; data: ArrayBuffer | Uint8Array }) => void;
  "console:closed": (payload: { consoleId: string; reason: string }) => void;
}

export interface ClientToServerEvents {
  "guests:list": (ack: Ack<Guest[]>) => void;
  "guest:action": (payload: z.input<typeof GuestActionPayload>, ack: Ack<{ taskId: string }>) => void;
  "metrics:subscribe": (payload: z.input<typeof MetricsSubscribePayload>, ack: Ack<null>) => void;
  "metrics:unsubscribe": (payload: z.input<typeof MetricsSubscribePayload>, ack: Ack<null>) => void;
  /** Joins the overview room; the ack carries the last minute per guest (and the host) to seed sparklines. */
  "overview:join": (ack: Ack<Record<string, GuestSummaryPoint[]>>) => void;
  "overview:leave": (ack: Ack<null>) => void;
  "console:open": (payload: z.input<typeof ConsoleOpenPayload>, ack: Ack<{ consoleId: string }>) => void;
  "console:input": (payload: z.input<typeof ConsoleInputPayload>) => void;
  "console:resize": (payload: z.input<typeof ConsoleResizePayload>) => void;
  "console:close": (payload: z.input<typeof ConsoleClosePayload>) => void;
}

/** Which role each client event needs; the server checks it before the handler runs. */
export const eventRoles: Record<keyof ClientToServerEvents, "viewer" | "operator"> = {
  "guests:list": "viewer",
  "guest:action": "operator",
  "metrics:subscribe": "viewer",
  "metrics:unsubscribe": "viewer",
  "overview:join": "viewer",
  "overview:leave": "viewer",
  "console:open": "operator",
  "console:input": "operator",
  "console:resize": "operator",
  "console:close": "operator",
};

export { Guest };
