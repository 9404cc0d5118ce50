// The facts about one guest, as a description list.
import type { Guest } from "@/server/contract";
import { formatDateTime, formatMiB } from "../ui/format";

export function GuestDetails({ guest: g }: { guest: Guest }) {
  const rows: [string, React.ReactNode][] = [
    ["Kind", g.kind === "vm" ? "Virtual machine" : "Container"],
    [g.kind === "vm" ? "vCPUs" : "CPU limit", g.kind === "vm" ? g.vcpus : `${g.vcpus} core${g.vcpus === 1 ? "" : "s"}`],
    ["Memory", formatMiB(g.memoryMiB)],
    ["Disk", g.diskGiB ? `${g.diskGiB} GiB` : "—"],
    ["Image", g.image ?? "—"],
    ["IP addresses", g.ipAddresses.length ? g.ipAddresses.join(", ") : "—"],
    ["Created", formatDateTime(g.createdAt)],
    ["Origin", g.adopted ? "Found on the host (adopted)" : "Created by Tandem"],
    ["Tags", g.tags.length ? g.tags.join(", ") : "—"],
    [
      "ID",
      <code key="id" className="text-xs break-all">
        {g.id}
      </code>,
    ],
  ];
  return (
    <dl className="card grid grid-cols-[auto_1fr] gap-x-4 gap-y-1.5 p-4 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="muted">{k}</dt>
          <dd className="min-w-0 break-words">{v}</dd>
        </div>
      ))}
      {g.notes && (
        <div className="col-span-2 mt-2 border-t border-zinc-200 pt-2 whitespace-pre-wrap dark:border-zinc-800">
          {g.notes}
        </div>
      )}
    </dl>
  );
}
