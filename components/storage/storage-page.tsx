"use client";
// The Storage page: libvirt pools with how full each is, the volumes in each and the guests
// using them; create a volume, delete one (the server refuses while a guest uses it and says
// which: that message is shown as it comes).
import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import type { Pool, Volume } from "@/server/contract";
import { errorMessage } from "../api/client";
import { deleteVolume, listPools, listVolumes } from "../api/storage";
import { guestHref } from "../guest/links";
import { useHasRole } from "../session-provider";
import { ConfirmDialog } from "../ui/dialog";
import { formatBytes, formatDateTime } from "../ui/format";
import { PlusIcon, TrashIcon } from "../ui/icons";
import { ProgressBar } from "../ui/progress-bar";
import { useNotify } from "../ui/toaster";
import { poolUsage, usageTone, volumesIn } from "./storage-model";
import { VolumeDialog } from "./volume-dialog";

export function StoragePage() {
  const canOperate = useHasRole("operator");
  const notify = useNotify();
  const [pools, setPools] = useState<Pool[] | null>(null);
  const [volumes, setVolumes] = useState<Volume[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Volume | null>(null);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    Promise.all([listPools(), listVolumes()]).then(
      ([p, v]) => {
        setPools(p);
        setVolumes(v);
      },
      (e) => setError(errorMessage(e)),
    );
  }, []);
  useEffect(refresh, [refresh]);

  async function remove() {
    if (!deleting) return;
    try {
      await deleteVolume(deleting.id);
      notify(`Deleted volume ${deleting.name}`, "success");
      setDeleting(null);
      refresh();
    } catch (e) {
      setDeleteError(errorMessage(e));
    }
  }

  return (
    <div className="space-y-4">
      <div className="flex items-center gap-3">
        <h1 className="flex-1 text-lg font-semibold">Storage</h1>
        {canOperate && (
          <button type="button" className="btn-primary" disabled={!pools} onClick={() => setCreating(true)}>
            <PlusIcon /> Create volume
          </button>
        )}
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      )}
      {pools === null && !error && <p className="muted text-sm">Loading…</p>}
      {pools?.length === 0 && <p className="muted text-sm">No storage pools.</p>}
      {pools?.map((p) => (
        <PoolCard
          key={p.name}
          pool={p}
          volumes={volumesIn(p.name, volumes)}
          canOperate={canOperate}
          onDelete={(v) => {
            setDeleteError(null);
            setDeleting(v);
          }}
        />
      ))}
      <VolumeDialog
        open={creating}
        pools={pools ?? []}
        onClose={() => setCreating(false)}
        onCreated={(v) => {
          notify(`Created volume ${v.name}`, "success");
          setCreating(false);
          refresh();
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete volume ${deleting?.name}?`}
        confirmLabel="Delete"
        danger
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        <p>Its data is gone for good. A volume a guest uses cannot be deleted.</p>
        {deleteError && (
          <p role="alert" className="text-red-600 dark:text-red-400">
            {deleteError}
          </p>
        )}
      </ConfirmDialog>
    </div>
  );
}

function PoolCard({
  pool,
  volumes,
  canOperate,
  onDelete,
}: {
  pool: Pool;
  volumes: Volume[];
  canOperate: boolean;
  onDelete: (v: Volume) => void;
}) {
  const pct = poolUsage(pool);
  const headingId = `pool-${pool.name}`;
  return (
    <section className="card p-4 text-sm" aria-labelledby={headingId} data-pool={pool.name}>
      <div className="mb-2 flex flex-wrap items-baseline gap-2">
        <h2 id={headingId} className="font-semibold">
          {pool.name}
        </h2>
        <span className="chip">{pool.type}</span>
        {pool.isDefault && <span className="chip">default</span>}
        {pool.state !== "running" && <span className="chip text-red-700 dark:text-red-400">{pool.state}</span>}
        <span className="muted font-mono text-xs">{pool.path}</span>
      </div>
      <ProgressBar value={pct} tone={usageTone(pct)} label={`${pool.name} allocation`} />
      <p className="muted mt-1 text-xs tabular-nums">
        {formatBytes(pool.allocationBytes)} of {formatBytes(pool.capacityBytes)} allocated ·{" "}
        {formatBytes(pool.availableBytes)} free · {pool.volumeCount} volume{pool.volumeCount === 1 ? "" : "s"}
      </p>
      {volumes.length > 0 && (
        <div className="mt-3 overflow-x-auto">
          <table className="w-full">
            <caption className="sr-only">Volumes in {pool.name}</caption>
            <thead className="muted text-left text-xs">
              <tr>
                <th className="py-1 pr-3">Volume</th>
                <th className="py-1 pr-3">Use</th>
                <th className="py-1 pr-3 text-right">Size</th>
                <th className="hidden py-1 pr-3 text-right sm:table-cell">On disk</th>
                <th className="py-1 pr-3">Used by</th>
                <th className="hidden py-1 pr-3 md:table-cell">Created</th>
                <th className="py-1">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {volumes.map((v) => (
                <tr key={v.id} className="border-t border-zinc-100 dark:border-zinc-800" data-volume={v.name}>
                  <td className="py-1.5 pr-3 font-medium">{v.name}</td>
                  <td className="py-1.5 pr-3">
                    <span className="chip">{v.use === "disk" ? "VM disk" : "container volume"}</span>
                  </td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{formatBytes(v.capacityBytes)}</td>
                  <td className="hidden py-1.5 pr-3 text-right tabular-nums sm:table-cell">
                    {v.allocationBytes === null ? "—" : formatBytes(v.allocationBytes)}
                  </td>
                  <td className="py-1.5 pr-3">
                    {v.attachedTo.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      v.attachedTo.map((a) => (
                        <span key={a.guestId} className="mr-2 inline-block">
                          <Link
                            href={guestHref(a.guestId)}
                            className="text-blue-700 hover:underline dark:text-blue-400"
                          >
                            {a.guestName}
                          </Link>{" "}
                          <span className="muted font-mono text-xs">
                            {a.target}
                            {a.readOnly ? " (ro)" : ""}
                          </span>
                        </span>
                      ))
                    )}
                  </td>
                  <td className="muted hidden py-1.5 pr-3 md:table-cell">{formatDateTime(v.createdAt)}</td>
                  <td className="py-1.5 text-right">
                    {canOperate && (
                      <button
                        type="button"
                        className="btn-icon"
                        aria-label={`Delete volume ${v.name}`}
                        title={v.attachedTo.length ? "In use: detach it first" : "Delete"}
                        onClick={() => onDelete(v)}
                      >
                        <TrashIcon />
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
