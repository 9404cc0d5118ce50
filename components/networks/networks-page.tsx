"use client";
// The Networks page: every Tandem network (both kinds plug into it) with its type, subnets,
// bridge and the guests on it; create, edit, delete (the server refuses while guests use it and
// says which: that message is shown as it comes).
import Link from "next/link";
import { Fragment, useCallback, useEffect, useState } from "react";
import type { Network, PortForward } from "@/server/contract";
import { errorMessage } from "../api/client";
import { deleteNetwork, listNetworkForwards, listNetworks } from "../api/networks";
import { guestHref } from "../guest/links";
import { useHasRole } from "../session-provider";
import { ConfirmDialog } from "../ui/dialog";
import { PlusIcon } from "../ui/icons";
import { useNotify } from "../ui/toaster";
import { NetworkDialog } from "./network-dialog";
import { typeLabels } from "./network-model";

export function NetworksPage() {
  const canOperate = useHasRole("operator");
  const notify = useNotify();
  const [networks, setNetworks] = useState<Network[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<Network | "new" | null>(null);
  const [deleting, setDeleting] = useState<Network | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const refresh = useCallback(() => {
    listNetworks().then(setNetworks, (e) => setError(errorMessage(e)));
  }, []);
  useEffect(refresh, [refresh]);

  async function remove() {
    if (!deleting) return;
    try {
      await deleteNetwork(deleting.id);
      notify(`Deleted network ${deleting.name}`, "success");
      setDeleting(null);
      refresh();
    } catch (e) {
      // 409 names the guests still on it; keep the dialog open with the reason.
      setDeleteError(errorMessage(e));
    }
  }

  return (
    <div className="space-y-4">
      <div className="flex items-center gap-3">
        <h1 className="flex-1 text-lg font-semibold">Networks</h1>
        {canOperate && (
          <button type="button" className="btn-primary" onClick={() => setEditing("new")}>
            <PlusIcon /> Create network
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      {networks === null && !error && <p className="muted text-sm">Loading…</p>}
      {networks?.length === 0 && <p className="muted text-sm">No networks yet.</p>}
      {networks && networks.length > 0 && (
        <div className="card overflow-x-auto">
          <table className="w-full text-sm">
            <caption className="sr-only">Networks</caption>
            <thead className="muted bg-zinc-50 text-left text-xs dark:bg-zinc-900/60">
              <tr>
                <th className="px-3 py-2">Name</th>
                <th className="px-3 py-2">Type</th>
                <th className="px-3 py-2">Subnets</th>
                <th className="hidden px-3 py-2 md:table-cell">Bridge</th>
                <th className="px-3 py-2">Guests</th>
                <th className="px-3 py-2">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {networks.map((n) => (
                <Fragment key={n.id}>
                  <tr className="border-t border-zinc-100 dark:border-zinc-800" data-network={n.name}>
                    <td className="px-3 py-2 font-medium">
                      <button
                        type="button"
                        className="hover:underline"
                        aria-expanded={open === n.id}
                        aria-controls={`net-${n.id}`}
                        onClick={() => setOpen((o) => (o === n.id ? null : n.id))}
                      >
                        {n.name}
                      </button>
                    </td>
                    <td className="px-3 py-2">
                      <span className="chip">{typeLabels[n.type]}</span>
                      {n.vlan && <span className="muted ml-1 text-xs">tag {n.vlan.id}</span>}
                    </td>
                    <td className="px-3 py-2 font-mono text-xs">
                      {[n.ipv4?.subnet, n.ipv6?.subnet].filter(Boolean).join(" · ") || "—"}
                    </td>
                    <td className="hidden px-3 py-2 font-mono text-xs md:table-cell">
                      {n.bridge}
                      {n.uplink && <span className="muted"> → {n.uplink}</span>}
                    </td>
                    <td className="px-3 py-2 tabular-nums">{n.usedBy.length}</td>
                    <td className="px-3 py-2 text-right whitespace-nowrap">
                      {canOperate && (
                        <>
                          <button type="button" className="btn mr-1" onClick={() => setEditing(n)}>
                            Edit<span className="sr-only"> {n.name}</span>
                          </button>
                          <button
                            type="button"
                            className="btn"
                            onClick={() => {
                              setDeleteError(null);
                              setDeleting(n);
                            }}
                          >
                            Delete<span className="sr-only"> {n.name}</span>
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                  {open === n.id && (
                    <tr id={`net-${n.id}`} className="bg-zinc-50/60 dark:bg-zinc-900/40">
                      <td colSpan={6} className="px-3 py-3">
                        <NetworkDetails network={n} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NetworkDialog
        open={editing !== null}
        network={editing === "new" ? null : editing}
        onClose={() => setEditing(null)}
        onSaved={(n) => {
          notify(`Saved network ${n.name}`, "success");
          setEditing(null);
          setOpen(n.id);
          refresh();
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete network ${deleting?.name}?`}
        confirmLabel="Delete"
        danger
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        <p>Its bridge and DHCP/DNS service are removed. A network in use cannot be deleted.</p>
        {deleteError && (
          <p role="alert" className="text-red-600 dark:text-red-400">
            {deleteError}
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}

/** The guests on a network and the host ports forwarded to them through it. */
function NetworkDetails({ network }: { network: Network }) {
  const [forwards, setForwards] = useState<PortForward[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    listNetworkForwards(network.id).then(setForwards, (e) => setError(errorMessage(e)));
  }, [network]);
  const dhcp = network.ipv4?.dhcp;
  return (
    <div className="grid gap-4 text-sm md:grid-cols-3">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
        <dt className="muted">Gateway</dt>
        <dd className="font-mono text-xs">
          {[network.ipv4?.gateway, network.ipv6?.gateway].filter(Boolean).join(" · ") || "—"}
        </dd>
        <dt className="muted">DHCP</dt>
        <dd className="font-mono text-xs">{dhcp ? `${dhcp.start} – ${dhcp.end}` : "off"}</dd>
        <dt className="muted">DNS</dt>
        <dd>
          {network.dnsNames ? "names resolved" : "no names"}
          {network.dnsForwarders.length > 0 && ` · via ${network.dnsForwarders.join(", ")}`}
        </dd>
      </dl>
      <section aria-label={`Guests on ${network.name}`}>
        <h3 className="mb-1 font-medium">Guests</h3>
        {network.usedBy.length === 0 ? (
          <p className="muted">No guest is on this network.</p>
        ) : (
          <ul className="space-y-0.5">
            {network.usedBy.map((g) => (
              <li key={g.id}>
                <Link href={guestHref(g.id)} className="text-blue-700 hover:underline dark:text-blue-400">
                  {g.name}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-label={`Port forwards on ${network.name}`}>
        <h3 className="mb-1 font-medium">Port forwards</h3>
        {error && <p className="text-red-600">{error}</p>}
        {!error && forwards === null && <p className="muted">Loading…</p>}
        {forwards?.length === 0 && <p className="muted">None.</p>}
        {forwards && forwards.length > 0 && (
          <ul className="space-y-0.5 font-mono text-xs">
            {forwards.map((f) => (
              <li key={f.id}>
                host {f.hostPort}/{f.protocol} → {f.guestName} {f.guestAddress ?? "(address pending)"}:{f.guestPort}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
