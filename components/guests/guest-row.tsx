"use client";
// One row of the guest list: select, kind, name, state, live CPU and memory, size, tags,
// quick power action. Memoised: metrics never re-render it, only a change to the guest does.
import Link from "next/link";
import { memo } from "react";
import { canAct, type Guest } from "@/server/contract";
import { LiveSparkline } from "../charts/live-sparkline";
import { guestHref } from "../guest/links";
import { StateBadge } from "../guest/state-badge";
import { KindIcon, PlayIcon, PowerIcon, MonitorIcon } from "../ui/icons";
import { formatMiB } from "../ui/format";

const cpuFmt = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)}%`;
const memFmt = (v: number) => `${v.toFixed(0)}%`;

type Props = {
  guest: Guest;
  index: number;
  selected: boolean;
  active: boolean;
  canOperate: boolean;
  onToggle: (id: string, shift: boolean) => void;
  onPower: (g: Guest) => void;
  /** Position in the virtual list; numbers, so memo sees "unchanged" while scrolling. */
  top: number;
  height: number;
};

export const GuestRow = memo(function GuestRow({
  guest: g,
  index,
  selected,
  active,
  canOperate,
  onToggle,
  onPower,
  top,
  height,
}: Props) {
  const startable = canAct(g.state, "start");
  const stoppable = canAct(g.state, "shutdown");
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      aria-selected={selected}
      data-guest-id={g.id}
      data-row-index={index}
      style={{ height, transform: `translateY(${top}px)` }}
      className={`guest-grid absolute left-0 w-full border-b border-zinc-100 px-2 text-sm dark:border-zinc-800/70 ${
        selected ? "bg-blue-50 dark:bg-blue-950/40" : "hover:bg-zinc-50 dark:hover:bg-zinc-900"
      } ${active ? "outline-2 -outline-offset-2 outline-blue-500" : ""}`}
    >
      <div role="cell">
        <input
          type="checkbox"
          aria-label={`Select ${g.name}`}
          checked={selected}
          onChange={(e) => onToggle(g.id, (e.nativeEvent as MouseEvent).shiftKey)}
          className="h-4 w-4 accent-blue-600"
        />
      </div>
      <div role="cell" className="text-zinc-500">
        <KindIcon kind={g.kind} />
      </div>
      <div role="cell" className="min-w-0">
        <Link
          href={guestHref(g.id)}
          prefetch={false}
          className="block truncate font-medium hover:underline focus-visible:underline"
        >
          {g.name}
        </Link>
        <div className="md:hidden">
          <StateBadge state={g.state} />
        </div>
      </div>
      <div role="cell" className="hidden md:block">
        <StateBadge state={g.state} />
      </div>
      <div role="cell">
        <LiveSparkline id={g.id} field="cpu" max={100} color="#3b82f6" format={cpuFmt} label="CPU" width={56} />
      </div>
      <div role="cell" className="hidden md:block">
        <LiveSparkline id={g.id} field="mem" max={100} color="#8b5cf6" format={memFmt} label="Memory" width={56} />
      </div>
      <div role="cell" className="muted hidden text-xs tabular-nums md:block">
        {g.vcpus} {g.kind === "vm" ? "vCPU" : "CPU"} · {formatMiB(g.memoryMiB)}
      </div>
      <div role="cell" className="hidden min-w-0 gap-1 overflow-hidden lg:flex">
        {g.tags.slice(0, 3).map((t) => (
          <span key={t} className="chip truncate">
            {t}
          </span>
        ))}
      </div>
      <div role="cell" className="hidden justify-end gap-0.5 lg:flex">
        {canOperate && (startable || stoppable) && (
          <button
            type="button"
            className="btn-icon"
            aria-label={`${startable ? "Start" : "Shut down"} ${g.name}`}
            title={startable ? "Start" : "Shut down"}
            onClick={() => onPower(g)}
          >
            {startable ? <PlayIcon /> : <PowerIcon />}
          </button>
        )}
        {g.state === "running" && (
          <Link
            href={guestHref(g.id, "console")}
            prefetch={false}
            className="btn-icon"
            aria-label={`Console of ${g.name}`}
            title="Console"
          >
            <MonitorIcon />
          </Link>
        )}
      </div>
    </div>
  );
});
