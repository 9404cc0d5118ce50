"use client";
// Create or edit a network. Create shows the fields of the chosen type (bridged and VLAN only
// for admins, as the server requires); edit offers what may change: the DHCP range, DNS
// forwarders and name resolution, and the addressing while no guest uses the network.
import { useState, type FormEvent } from "react";
import { networkTypes, type Network } from "@/server/contract";
import { errorMessage } from "../api/client";
import { createNetwork, updateNetwork } from "../api/networks";
import { useHasRole } from "../session-provider";
import { Dialog } from "../ui/dialog";
import { Field } from "../ui/field";
import {
  draftOf,
  emptyNetworkDraft,
  joinsLan,
  subnetDefaults,
  typeHints,
  typeLabels,
  validateCreate,
  validateUpdate,
  type FieldErrors,
  type NetworkDraft,
} from "./network-model";

export function NetworkDialog({
  open,
  network,
  onClose,
  onSaved,
}: {
  open: boolean;
  /** null: create a new network. */
  network: Network | null;
  onClose: () => void;
  onSaved: (n: Network) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={network ? `Edit network ${network.name}` : "Create a network"} wide>
      <NetworkForm key={network?.id ?? "new"} network={network} onClose={onClose} onSaved={onSaved} />
    </Dialog>
  );
}

function NetworkForm({
  network,
  onClose,
  onSaved,
}: {
  network: Network | null;
  onClose: () => void;
  onSaved: (n: Network) => void;
}) {
  const isAdmin = useHasRole("admin");
  const [d, setD] = useState<NetworkDraft>(() => (network ? draftOf(network) : emptyNetworkDraft()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof NetworkDraft>(k: K, v: NetworkDraft[K]) => setD((x) => ({ ...x, [k]: v }));
  const editing = network !== null;
  const inUse = (network?.usedBy.length ?? 0) > 0;
  const def = subnetDefaults(d.subnet);
  const lan = joinsLan(d.type);
  const types = networkTypes.filter((t) => isAdmin || (t !== "bridged" && t !== "vlan"));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setServerError(null);
    const r = network ? validateUpdate(d, network) : validateCreate(d);
    setErrors(r.errors);
    if (!r.body) return;
    setBusy(true);
    try {
      const saved = network
        ? await updateNetwork(network.id, r.body as Parameters<typeof updateNetwork>[1])
        : await createNetwork(r.body as Parameters<typeof createNetwork>[0]);
      onSaved(saved);
    } catch (err) {
      setServerError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const err = (k: string) => errors[k];
  return (
    <form onSubmit={submit} noValidate className="grid gap-4 text-sm sm:grid-cols-2">
      <Field label="Network name" error={err("name")} hint={editing ? "Make a new network to rename." : undefined}>
        <input
          className="input"
          value={d.name}
          disabled={editing}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => set("name", e.target.value)}
        />
      </Field>
      <Field label="Type" error={err("type")} hint={typeHints[d.type]}>
        <select
          className="input"
          value={d.type}
          disabled={editing}
          onChange={(e) => set("type", e.target.value as NetworkDraft["type"])}
        >
          {(editing ? [d.type] : types).map((t) => (
            <option key={t} value={t}>
              {typeLabels[t]}
            </option>
          ))}
        </select>
      </Field>
      {(d.type === "nat" || d.type === "bridged") && (
        <Field
          label={d.type === "nat" ? "Uplink interface" : "Host bridge"}
          error={err("uplink")}
          hint={d.type === "nat" ? "Empty: the default route's interface." : "An existing bridge, e.g. br0."}
        >
          <input
            className="input font-mono"
            value={d.uplink}
            disabled={editing}
            onChange={(e) => set("uplink", e.target.value)}
          />
        </Field>
      )}
      {d.type === "vlan" && (
        <>
          <Field label="VLAN id" error={err("vlan.id") ?? err("vlan")}>
            <input
              className="input"
              type="number"
              min={1}
              max={4094}
              value={d.vlanId}
              disabled={editing}
              onChange={(e) => set("vlanId", e.target.value)}
            />
          </Field>
          <Field label="Parent interface" error={err("vlan.parent")}>
            <input
              className="input font-mono"
              value={d.vlanParent}
              disabled={editing}
              onChange={(e) => set("vlanParent", e.target.value)}
            />
          </Field>
        </>
      )}
      <fieldset className="grid gap-3 sm:col-span-2 sm:grid-cols-2" disabled={busy}>
        <legend className="mb-1 font-medium">IPv4</legend>
        <Field
          label="IPv4 subnet"
          error={err("ipv4.subnet") ?? err("ipv4")}
          hint={
            inUse
              ? "Guests use this network: its addressing cannot change."
              : lan
                ? "The LAN's subnet, for fixed addresses; its own DHCP serves the rest."
                : "e.g. 10.90.0.0/24; empty: no IPv4."
          }
        >
          <input
            className="input font-mono"
            value={d.subnet}
            disabled={inUse}
            onChange={(e) => set("subnet", e.target.value)}
            placeholder="10.90.0.0/24"
          />
        </Field>
        <Field label="Gateway" error={err("ipv4.gateway")}>
          <input
            className="input font-mono"
            value={d.gateway}
            disabled={inUse}
            onChange={(e) => set("gateway", e.target.value)}
            placeholder={def?.gateway}
          />
        </Field>
        {!lan && (
          <label className="flex items-center gap-2 sm:col-span-2">
            <input type="checkbox" checked={d.dhcp} onChange={(e) => set("dhcp", e.target.checked)} />
            Serve addresses by DHCP
          </label>
        )}
        {d.dhcp && !lan && (
          <>
            <Field label="DHCP start" error={err("ipv4.dhcp")}>
              <input
                className="input font-mono"
                value={d.dhcpStart}
                onChange={(e) => set("dhcpStart", e.target.value)}
                placeholder={def?.dhcpStart}
              />
            </Field>
            <Field label="DHCP end">
              <input
                className="input font-mono"
                value={d.dhcpEnd}
                onChange={(e) => set("dhcpEnd", e.target.value)}
                placeholder={def?.dhcpEnd}
              />
            </Field>
          </>
        )}
      </fieldset>
      <fieldset className="grid gap-3 sm:col-span-2 sm:grid-cols-2" disabled={busy || inUse}>
        <legend className="mb-1 font-medium">IPv6 (optional)</legend>
        <Field label="IPv6 subnet" error={err("ipv6.subnet") ?? err("ipv6")}>
          <input
            className="input font-mono"
            value={d.ipv6Subnet}
            onChange={(e) => set("ipv6Subnet", e.target.value)}
            placeholder="fd00:90::/64"
          />
        </Field>
        <Field label="IPv6 gateway" error={err("ipv6.gateway")}>
          <input
            className="input font-mono"
            value={d.ipv6Gateway}
            onChange={(e) => set("ipv6Gateway", e.target.value)}
            placeholder="fd00:90::1"
          />
        </Field>
      </fieldset>
      {d.type === "nat" && (
        <Field
          label="DNS forwarders"
          error={err("dnsForwarders")}
          hint="IPv4 addresses, separated by commas; empty: the host's resolvers."
          className="sm:col-span-2"
        >
          <input
            className="input font-mono"
            value={d.dnsForwarders}
            onChange={(e) => set("dnsForwarders", e.target.value)}
          />
        </Field>
      )}
      {!lan && (
        <label className="flex items-center gap-2 sm:col-span-2">
          <input type="checkbox" checked={d.dnsNames} onChange={(e) => set("dnsNames", e.target.checked)} />
          Guests resolve each other by name
        </label>
      )}
      {serverError && (
        <p role="alert" className="text-red-600 sm:col-span-2 dark:text-red-400">
          {serverError}
        </p>
      )}
      <div className="flex justify-end gap-2 sm:col-span-2">
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="btn-primary" disabled={busy}>
          {busy ? "Saving…" : editing ? "Save" : "Create network"}
        </button>
      </div>
    </form>
  );
}
