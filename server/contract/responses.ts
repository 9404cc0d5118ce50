// The body of every JSON answer the REST API gives, written once: the routes declare them (and
// the OpenAPI document shows them), the browser parses every answer with them.
import { z } from "zod";
import { ApiTokenInfo, Me, UserInfo } from "./auth";
import { LogLine, Snapshot } from "./guest-extras";
import { Guest } from "./guest";
import { HostInfo } from "./host";
import { Image } from "./image";
import { MetricPoint, metricRanges } from "./metrics";
import { Task } from "./task";

/** A request that became a task: follow it with GET /api/v1/tasks/:id or the task:update event. */
export const TaskRef = z.object({ taskId: z.string() });
export type TaskRef = z.infer<typeof TaskRef>;

export const GuestList = z.object({ guests: z.array(Guest) });
export const GuestResponse = z.object({ guest: Guest });
/** A create or clone: the guest as it is being made, and the task that makes it. */
export const GuestCreated = z.object({ guest: Guest, taskId: z.string() });

const History = { range: z.enum(metricRanges), resolution: z.number(), points: z.array(MetricPoint) };
export const GuestMetricHistory = z.object({ id: z.string(), ...History });
export const HostMetricHistory = z.object(History);

export const HostResponse = z.object({ host: HostInfo });
export const Healthz = z.object({ ok: z.boolean() });

export const ImageList = z.object({ images: z.array(Image) });
export const ImageResponse = z.object({ image: Image });

export const TaskList = z.object({ tasks: z.array(Task) });
export const TaskResponse = z.object({ task: Task });

export const SnapshotList = z.object({ snapshots: z.array(Snapshot) });
export const LogLines = z.object({ lines: z.array(LogLine) });

/** Who is signed in; the CSRF token again (null for bearer tokens, which need none). */
export const SessionResponse = z.object({ user: Me, csrfToken: z.string().nullable() });
export const TokenList = z.object({ tokens: z.array(ApiTokenInfo) });
export const UserList = z.object({ users: z.array(UserInfo) });
export const UserResponse = z.object({ user: UserInfo });
