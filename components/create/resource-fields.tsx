"use client";
// vCPUs, memory, disk and network, each with what the host has; NICs on Tandem networks and
// the extra disks or volumes.
import { cpuUnits, type HostInfo } from "@/server/contract";
import { Field } from "../ui/field";
import { formatBytes } from "../ui/format";
import type { Draft, FieldsProps } from "./form-model";
import { NicFields } from "./nic-fields";
import { StorageFields } from "./storage-fields";

export function ResourceFields({ draft, set, errors, host }: FieldsProps & { host: HostInfo | null }) {
  const cpu = cpuUnits[draft.kind];
  const memWarn =
    host && Number(draft.memoryMiB) * 1024 * 1024 > host.memoryAvailableBytes ? " — more than is free right now" : "";
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <Field
        label={draft.kind === "vm" ? "vCPUs" : "CPU limit (cores)"}
        error={errors.vcpus}
        hint={
          host
            ? `The host has ${host.cpus} CPUs.${cpu.whole ? "" : " Fractions allowed: 0.5 is half a core."}`
            : undefined
        }
      >
        <input
          className="input"
          type="number"
          inputMode="decimal"
          min={cpu.min}
          step={cpu.step}
          max={host?.cpus ?? 256}
          value={draft.vcpus}
          onChange={(e) => set("vcpus", e.target.value)}
        />
      </Field>
      <Field
        label="Memory (MiB)"
        error={errors.memoryMiB}
        hint={
          host
            ? `${formatBytes(host.memoryAvailableBytes)} free of ${formatBytes(host.memoryBytes)}${memWarn}.`
            : undefined
        }
      >
        <input
          className="input"
          type="number"
          inputMode="numeric"
          min={16}
          step={64}
          value={draft.memoryMiB}
          onChange={(e) => set("memoryMiB", e.target.value)}
        />
      </Field>
      {draft.kind === "vm" && (
        <Field
          label="Disk (GiB)"
          error={errors.diskGiB}
          hint={host ? `${formatBytes(host.diskFreeBytes)} free in Tandem's data directory.` : undefined}
        >
          <input
            className="input"
            type="number"
            inputMode="numeric"
            min={1}
            value={draft.diskGiB}
            onChange={(e) => set("diskGiB", e.target.value)}
          />
        </Field>
      )}
      {draft.nics.length === 0 && (
        <Field
          label="Network"
          error={errors.network}
          hint="NAT gives outbound access; isolated guests see only each other."
        >
          <select
            className="input"
            value={draft.network}
            onChange={(e) => set("network", e.target.value as Draft["network"])}
          >
            <option value="">Default</option>
            <option value="user">NAT (outbound access)</option>
            <option value="isolated">Isolated</option>
            <option value="none">None</option>
          </select>
        </Field>
      )}
      <NicFields draft={draft} set={set} errors={errors} />
      <StorageFields draft={draft} set={set} errors={errors} />
    </div>
  );
}
