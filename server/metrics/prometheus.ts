// GET /metrics in the Prometheus text format: per-guest counters and gauges labelled with id,
// name and kind, the host, and Tandem's own health (tick duration, connected clients).
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Gauge, Registry } from "prom-client";
import type { Guest } from "../contract/guest";
import type { MetricsService } from "./metrics-service";

export function createPrometheusRegistry(deps: {
  metrics: MetricsService;
  guests: () => Promise<Guest[]>;
  connectedClients: () => number;
}): Registry {
  const registry = new Registry();
  const labelNames = ["id", "name", "kind"] as const;
  const guestCounter = (
    name: string,
    help: string,
    pick: (t: NonNullable<ReturnType<MetricsService["totalsFor"]>>) => number,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        for (const g of await deps.guests()) {
          const t = deps.metrics.totalsFor(g.id);
          if (t) this.inc({ id: g.id, name: g.name, kind: g.kind }, pick(t));
        }
      },
    });
  guestCounter("tandem_guest_cpu_seconds_total", "CPU time used by the guest", (t) => t.cpuSeconds);
  guestCounter("tandem_guest_disk_read_bytes_total", "Bytes read from disk", (t) => t.diskRead);
  guestCounter("tandem_guest_disk_written_bytes_total", "Bytes written to disk", (t) => t.diskWrite);
  guestCounter("tandem_guest_network_receive_bytes_total", "Bytes received", (t) => t.netRx);
  guestCounter("tandem_guest_network_transmit_bytes_total", "Bytes sent", (t) => t.netTx);

  new Gauge({
    name: "tandem_guest_memory_bytes",
    help: "Memory used by the guest",
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      const latest = deps.metrics.latest();
      for (const g of await deps.guests()) {
        const p = latest.get(g.id);
        if (p) this.set({ id: g.id, name: g.name, kind: g.kind }, p.memUsed);
      }
    },
  });
  new Gauge({
    name: "tandem_guest_up",
    help: "1 when the guest is running",
    labelNames: [...labelNames, "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const g of await deps.guests())
        this.set({ id: g.id, name: g.name, kind: g.kind, state: g.state }, g.state === "running" ? 1 : 0);
    },
  });
  const host = deps.metrics.hostSubject;
  new Counter({
    name: "tandem_host_cpu_seconds_total",
    help: "Busy CPU time of the host (all CPUs)",
    registers: [registry],
    collect() {
      this.reset();
      const t = deps.metrics.totalsFor(host);
      if (t) this.inc(t.cpuSeconds);
    },
  });
  new Gauge({
    name: "tandem_host_memory_used_bytes",
    help: "Host memory in use (total minus available)",
    registers: [registry],
    collect() {
      const p = deps.metrics.latest().get(host);
      if (p) this.set(p.memUsed);
    },
  });
  new Gauge({
    name: "tandem_sampler_tick_seconds",
    help: "Duration of the last metrics tick",
    registers: [registry],
    collect() {
      this.set(deps.metrics.lastTickMs / 1000);
    },
  });
  // The event loop's delay since the previous scrape: what every request and push waits for
  // before Tandem can start on it (the load bench reads it around its run).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  new Gauge({
    name: "tandem_event_loop_delay_seconds",
    help: "Event-loop delay since the previous scrape, by quantile",
    labelNames: ["quantile"],
    registers: [registry],
    collect() {
      this.reset();
      if (loopDelay.count > 0) {
        for (const q of [0.5, 0.99, 1]) this.set({ quantile: String(q) }, loopDelay.percentile(q * 100) / 1e9);
      }
      loopDelay.reset();
    },
  });
  new Gauge({
    name: "tandem_connected_clients",
    help: "Connected socket.io clients",
    registers: [registry],
    collect() {
      this.set(deps.connectedClients());
    },
  });
  return registry;
}
