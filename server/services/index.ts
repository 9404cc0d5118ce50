// The services the transport layers (REST, socket.io) are given by the composition root.
import type { IncomingMessage } from "node:http";
import type { MetricsService } from "../metrics/metrics-service";
import type { AuthService } from "./auth-service";
import type { Bus } from "./bus";
import type { ConsoleTickets } from "./console-tickets";
import type { GuestService } from "./guest-service";
import type { HostService } from "./host-service";
import type { ImageService } from "./image-service";
import type { LiveConnections } from "./live-connections";
import type { ClientInfo } from "./principal";
import type { TaskService } from "./task-service";

export interface Services {
  auth: AuthService;
  guests: GuestService;
  images: ImageService;
  tasks: TaskService;
  host: HostService;
  metrics: MetricsService;
  bus: Bus;
  consoleTickets: ConsoleTickets;
  /** Live sockets, shells, splices and follows per session/token/user: revocation reaches them. */
  live: LiveConnections;
  /** The client's real address and whether it came over TLS (trusted proxies considered). */
  clientOf: (req: IncomingMessage) => ClientInfo;
  config: { sessionTtlMs: number };
}
