// What only some backends offer (guest.capabilities says which): the graphical console ticket,
// snapshots and output logs. One shape and one set of limits each, for the routes, the drivers
// and the browser alike.
import { z } from "zod";
import { GuestName } from "./guest";

/** A single-use ticket for the VNC websocket at `path` (same origin). */
export const VncTicket = z.object({
  ticket: z.string(),
  path: z.string().startsWith("/"),
  expiresInSeconds: z.number(),
});
export type VncTicket = z.infer<typeof VncTicket>;

/** Snapshot names follow guest names' rules: the VM backend (libvirt) accepts exactly these. */
export const SnapshotName = GuestName;
export const SnapshotDescription = z.string().max(1024, "a description may have at most 1024 characters");

export const Snapshot = z.object({
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  /** The guest's state when the snapshot was taken (running = with memory). */
  state: z.string(),
  /** The snapshot the guest last reverted to or took. */
  current: z.boolean(),
});
export type Snapshot = z.infer<typeof Snapshot>;

export const CreateSnapshotBody = z.object({ name: SnapshotName, description: SnapshotDescription.optional() });

export const logStreams = ["stdout", "stderr"] as const;
export const LogLine = z.object({
  /** ISO time */
  time: z.string(),
  stream: z.enum(logStreams),
  text: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

/** follow=true streams new lines as NDJSON, one LogLine each, until the client leaves. */
export const LogsQuery = z.object({
  follow: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  tail: z.coerce.number().int().min(1).max(100_000).default(1000),
});
