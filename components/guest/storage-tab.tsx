"use client";
// The guest's Storage tab: a VM's disks or a container's volumes. Re-read when a task on this
// guest ends (disk changes run as tasks).
import { useCallback, useEffect, useState } from "react";
import type { Guest, GuestDisk, Pool, Volume } from "@/server/contract";
import { errorMessage } from "../api/client";
import { listDisks, listPools, listVolumes } from "../api/storage";
import { useTasks } from "../realtime/tasks-provider";
import { useHasRole } from "../session-provider";
import { DisksSection } from "./disks-section";
import { VolumesSection } from "./volumes-section";

export function StorageTab({ guest }: { guest: Guest }) {
  const canOperate = useHasRole("operator");
  const { tasks } = useTasks();
  const [disks, setDisks] = useState<GuestDisk[]>([]);
  const [pools, setPools] = useState<Pool[]>([]);
  const [volumes, setVolumes] = useState<Volume[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    const vm = guest.kind === "vm";
    Promise.all([vm ? listDisks(guest.id) : Promise.resolve([]), listPools(), listVolumes()]).then(
      ([d, p, v]) => {
        setDisks(d);
        setPools(p);
        setVolumes(v);
        setError(null);
      },
      (e) => setError(errorMessage(e)),
    );
  }, [guest.id, guest.kind]);
  const finished = [...tasks.values()].filter((t) => t.targetId === guest.id && t.finishedAt).length;
  useEffect(() => {
    refresh();
  }, [refresh, finished]);

  if (error)
    return (
      <p role="alert" className="text-sm text-red-600">
        Could not load storage: {error}
      </p>
    );
  if (!volumes) return <p className="muted text-sm">Loading…</p>;
  return (
    <div className="grid max-w-4xl gap-4">
      {guest.kind === "vm" ? (
        <DisksSection
          guest={guest}
          disks={disks}
          pools={pools}
          volumes={volumes}
          canOperate={canOperate}
          onChange={refresh}
        />
      ) : (
        <VolumesSection guest={guest} volumes={volumes} canOperate={canOperate} onChange={refresh} />
      )}
    </div>
  );
}
