"use client";
// The one list of VMs and containers.
import { useMemo } from "react";
import { useGuests } from "../realtime/use-guests";

export function GuestList() {
  const { guests, loaded, error } = useGuests();
  const rows = useMemo(() => [...guests.values()].sort((a, b) => a.name.localeCompare(b.name)), [guests]);
  return (
    <section aria-labelledby="guests-heading">
      <h1 id="guests-heading" className="mb-3 text-lg font-semibold">
        Guests <span className="text-sm font-normal text-zinc-500">({rows.length})</span>
      </h1>
      {error && (
        <p role="alert" className="text-red-600">
          {error}
        </p>
      )}
      {!loaded ? (
        <p className="text-sm text-zinc-500">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="text-sm text-zinc-500">No guests yet.</p>
      ) : (
        <table className="w-full text-sm" aria-label="Guests">
          <thead className="text-left text-zinc-500">
            <tr>
              <th className="py-1">Name</th>
              <th>Kind</th>
              <th>State</th>
              <th>vCPUs</th>
              <th>Memory</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((g) => (
              <tr key={g.id} className="border-t border-zinc-200 dark:border-zinc-800" data-guest-id={g.id}>
                <td className="py-1.5 font-medium">{g.name}</td>
                <td>{g.kind === "vm" ? "VM" : "Container"}</td>
                <td>{g.state}</td>
                <td>{g.vcpus}</td>
                <td>{g.memoryMiB} MiB</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
