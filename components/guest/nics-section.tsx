"use client";
// A guest's NICs on Tandem networks: network, address (fixed or given), MAC and host interface;
// attach one (hotplugged into a running VM, plugged in by the container driver) and detach.
import { useState, type FormEvent } from "react";
import { GuestNic, type Guest, type Network } from "@/server/contract";
import { errorMessage } from "../api/client";
import { addNic, removeNic, type NicInfo } from "../api/guest-network";
import { ConfirmDialog } from "../ui/dialog";
import { Field } from "../ui/field";
import { useNotify } from "../ui/toaster";

export function NicsSection({
  guest,
  nics,
  networks,
  canOperate,
  onChange,
}: {
  guest: Guest;
  nics: NicInfo[];
  networks: Network[];
  canOperate: boolean;
  onChange: () => void;
}) {
  const notify = useNotify();
  const [removing, setRemoving] = useState<NicInfo | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  async function remove() {
    if (!removing) return;
    try {
      await removeNic(guest.id, removing.id);
      notify(`Detached NIC ${removing.index + 1} from ${guest.name}`, "success");
      setRemoving(null);
      onChange();
    } catch (e) {
      setRemoveError(errorMessage(e));
    }
  }
  return (
    <section className="card p-4 text-sm" aria-labelledby="nics-heading">
      <h2 id="nics-heading" className="mb-2 font-semibold">
        Network interfaces
      </h2>
      {nics.length === 0 ? (
        <p className="muted mb-3">No NIC on a Tandem network.</p>
      ) : (
        <table className="mb-3 w-full">
          <caption className="sr-only">NICs of {guest.name}</caption>
          <thead className="muted text-left text-xs">
            <tr>
              <th className="py-1 pr-3">#</th>
              <th className="py-1 pr-3">Network</th>
              <th className="py-1 pr-3">Address</th>
              <th className="py-1 pr-3">MAC</th>
              <th className="hidden py-1 pr-3 sm:table-cell">Host side</th>
              <th className="py-1">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {nics.map((n) => (
              <tr key={n.id} className="border-t border-zinc-100 dark:border-zinc-800" data-nic={n.network.name}>
                <td className="py-1.5 pr-3 tabular-nums">{n.index + 1}</td>
                <td className="py-1.5 pr-3">{n.network.name}</td>
                <td className="py-1.5 pr-3 font-mono text-xs">
                  {n.address ?? "—"} {n.addressFixed && <span className="chip font-sans">fixed</span>}
                </td>
                <td className="py-1.5 pr-3 font-mono text-xs">{n.mac}</td>
                <td className="hidden py-1.5 pr-3 font-mono text-xs sm:table-cell">{n.iface ?? "—"}</td>
                <td className="py-1.5 text-right">
                  {canOperate && (
                    <button
                      type="button"
                      className="btn"
                      onClick={() => {
                        setRemoveError(null);
                        setRemoving(n);
                      }}
                    >
                      Detach<span className="sr-only"> NIC {n.index + 1}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canOperate && <AttachNic guest={guest} networks={networks} onDone={onChange} />}
      <ConfirmDialog
        open={removing !== null}
        title={`Detach NIC ${(removing?.index ?? 0) + 1}?`}
        confirmLabel="Detach"
        danger
        onConfirm={remove}
        onClose={() => setRemoving(null)}
      >
        <p>
          {guest.name} leaves {removing?.network.name}; its port forwards through this NIC go with it.
        </p>
        {removeError && (
          <p role="alert" className="text-red-600 dark:text-red-400">
            {removeError}
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}

function AttachNic({ guest, networks, onDone }: { guest: Guest; networks: Network[]; onDone: () => void }) {
  const notify = useNotify();
  const [network, setNetwork] = useState("");
  const [address, setAddress] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = network || networks[0]?.name || "";
  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = GuestNic.safeParse({ network: chosen, address: address.trim() || undefined });
    if (!r.success) return setError(r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
    setError(null);
    setBusy(true);
    try {
      await addNic(guest.id, r.data);
      notify(`Attached ${guest.name} to ${chosen}`, "success");
      setAddress("");
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Attach a NIC">
      <Field label="Attach to network" className="min-w-44 flex-1">
        <select className="input" value={chosen} onChange={(e) => setNetwork(e.target.value)}>
          {networks.map((n) => (
            <option key={n.id} value={n.name}>
              {n.name} ({n.type}
              {n.ipv4 ? `, ${n.ipv4.subnet}` : ""})
            </option>
          ))}
        </select>
      </Field>
      <Field label="Fixed address" className="min-w-40 flex-1">
        <input
          className="input font-mono"
          value={address}
          placeholder="automatic"
          onChange={(e) => setAddress(e.target.value)}
        />
      </Field>
      <button type="submit" className="btn-primary" disabled={busy || !chosen}>
        Attach NIC
      </button>
      {error && (
        <p role="alert" className="w-full text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  );
}
