"use client";
// The host at a glance: live CPU and memory, disk, guest counts, acceleration, backend health.
import { useEffect, useMemo } from "react";
import type { HostInfo } from "@/server/contract";
import { hostMetrics } from "../api/guests";
import { LiveSparkline } from "../charts/live-sparkline";
import { useOverviewSeries } from "../realtime/overview-provider";
import { useGuests } from "../realtime/guests-provider";
import { formatBytes, formatDuration } from "../ui/format";
import { HostIcon } from "../ui/icons";
import { ProgressBar } from "../ui/progress-bar";
import { useHost } from "./use-host";

const pct = (v: number) => `${v.toFixed(0)}%`;

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="card min-w-[9.5rem] shrink-0 snap-start p-3 md:min-w-0">
      <p className="muted mb-1 text-xs font-semibold tracking-wide uppercase">{label}</p>
      {children}
    </div>
  );
}

export function HostSummary() {
  const { host, error } = useHost();
  const store = useOverviewSeries();
  const hostId = host?.id;
  // The host's last minute from its history, so its sparklines are full on first paint.
  useEffect(() => {
    if (!hostId) return;
    hostMetrics("15m").then(
      (h) => store.seed(`host:${hostId}`, h.points),
      () => {},
    );
  }, [hostId, store]);
  const { list } = useGuests();
  const counts = useMemo(
    () => ({
      total: list.length,
      running: list.filter((g) => g.state === "running").length,
      vms: list.filter((g) => g.kind === "vm").length,
      containers: list.filter((g) => g.kind === "container").length,
    }),
    [list],
  );
  if (error && !host)
    return (
      <p role="alert" className="text-sm text-red-600">
        Host summary unavailable: {error}
      </p>
    );
  return (
    <section
      aria-label="Host summary"
      className="-mx-3 flex snap-x gap-3 overflow-x-auto px-3 pb-1 md:mx-0 md:grid md:grid-cols-3 md:overflow-visible md:px-0 md:pb-0 xl:grid-cols-6"
    >
      <Stat label="Host">
        <p className="flex items-center gap-1.5 truncate font-medium">
          <HostIcon className="shrink-0" /> {host?.hostname ?? "…"}
        </p>
        <p className="muted text-xs">
          {host ? `up ${formatDuration(host.uptimeSeconds)} · load ${host.loadAverage[0]?.toFixed(2) ?? "—"}` : ""}
        </p>
        {host && (
          <p className="mt-1 text-xs">
            <span
              className={`chip ${host.accel === "kvm" ? "!bg-emerald-100 !text-emerald-800 dark:!bg-emerald-950 dark:!text-emerald-200" : "!bg-amber-100 !text-amber-800 dark:!bg-amber-950 dark:!text-amber-200"}`}
              title={
                host.accel === "kvm" ? "Hardware virtualisation (KVM)" : "Software emulation (QEMU TCG): VMs run slower"
              }
            >
              accel {host.accel}
            </span>
          </p>
        )}
      </Stat>
      <Stat label="CPU">
        {host && (
          <>
            <LiveSparkline
              id={`host:${host.id}`}
              field="cpu"
              max={100}
              color="#3b82f6"
              format={pct}
              label="Host CPU"
              width={96}
              height={28}
            />
            <p className="muted text-xs">{host.cpus} CPUs</p>
          </>
        )}
      </Stat>
      <Stat label="Memory">{host && <MemoryStat host={host} />}</Stat>
      <Stat label="Disk">
        {host && (
          <>
            <p className="text-sm tabular-nums">
              {formatBytes(host.diskBytes - host.diskFreeBytes)} / {formatBytes(host.diskBytes)}
            </p>
            <ProgressBar
              value={host.diskBytes ? ((host.diskBytes - host.diskFreeBytes) / host.diskBytes) * 100 : 0}
              label="Disk used"
            />
            <p className="muted mt-1 text-xs">{formatBytes(host.diskFreeBytes)} free</p>
          </>
        )}
      </Stat>
      <Stat label="Guests">
        <p className="text-sm">
          <strong className="text-lg tabular-nums">{counts.running}</strong>
          <span className="muted"> / {counts.total} running</span>
        </p>
        <p className="muted text-xs">
          {counts.vms} VMs · {counts.containers} containers
        </p>
      </Stat>
      <Stat label="Backends">
        <ul className="space-y-0.5 text-xs">
          {host?.backends.map((b) => (
            <li key={b.kind} className="flex items-center gap-1.5" title={b.message}>
              <span aria-hidden className={`h-2 w-2 rounded-full ${b.healthy ? "bg-emerald-500" : "bg-red-500"}`} />
              <span className="font-medium">{b.kind === "vm" ? "VMs" : "Containers"}</span>
              <span className="muted truncate">{b.healthy ? "healthy" : `down: ${b.message}`}</span>
            </li>
          ))}
        </ul>
      </Stat>
    </section>
  );
}

function MemoryStat({ host }: { host: HostInfo }) {
  const used = host.memoryBytes - host.memoryAvailableBytes;
  return (
    <>
      <LiveSparkline
        id={`host:${host.id}`}
        field="mem"
        max={100}
        color="#8b5cf6"
        format={pct}
        label="Host memory"
        width={96}
        height={28}
      />
      <p className="muted text-xs tabular-nums">
        {formatBytes(used)} / {formatBytes(host.memoryBytes)}
      </p>
    </>
  );
}
