"use client";
// Host ports forwarded to a guest's NICs (DNAT, both kinds): the list, add (the server refuses a
// port outside the admin's range or taken on the host) and remove.
import { useState, type FormEvent } from "react";
import { CreateForwardBody, type Guest, type PortForward } from "@/server/contract";
import { errorMessage } from "../api/client";
import { addForward, removeForward, type NicInfo } from "../api/guest-network";
import { Field } from "../ui/field";
import { useNotify } from "../ui/toaster";

export function ForwardsSection({
  guest,
  forwards,
  nics,
  canOperate,
  onChange,
}: {
  guest: Guest;
  forwards: PortForward[];
  nics: NicInfo[];
  canOperate: boolean;
  onChange: () => void;
}) {
  const notify = useNotify();
  async function remove(f: PortForward) {
    try {
      await removeForward(guest.id, f.id);
      notify(`Removed forward of host port ${f.hostPort}`, "success");
      onChange();
    } catch (e) {
      notify(`Could not remove the forward: ${errorMessage(e)}`, "error");
    }
  }
  return (
    <section className="card p-4 text-sm" aria-labelledby="forwards-heading">
      <h2 id="forwards-heading" className="mb-2 font-semibold">
        Port forwards
      </h2>
      {forwards.length === 0 ? (
        <p className="muted mb-3">No host port is forwarded to this guest.</p>
      ) : (
        <ul className="mb-3 space-y-1">
          {forwards.map((f) => (
            <li key={f.id} className="flex items-center gap-3" data-forward={f.hostPort}>
              <span className="font-mono text-xs">
                host {f.hostPort}/{f.protocol} → {f.guestAddress ?? "(address pending)"}:{f.guestPort}
              </span>
              {canOperate && (
                <button type="button" className="btn" onClick={() => remove(f)}>
                  Remove<span className="sr-only"> forward of host port {f.hostPort}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canOperate &&
        (nics.length ? (
          <AddForward guest={guest} nics={nics} onDone={onChange} />
        ) : (
          <p className="muted">Attach a NIC to a network first: forwards go to a NIC&apos;s address.</p>
        ))}
    </section>
  );
}

function AddForward({ guest, nics, onDone }: { guest: Guest; nics: NicInfo[]; onDone: () => void }) {
  const [hostPort, setHostPort] = useState("");
  const [guestPort, setGuestPort] = useState("");
  const [protocol, setProtocol] = useState<"tcp" | "udp">("tcp");
  const [nic, setNic] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    const r = CreateForwardBody.safeParse({
      hostPort: hostPort.trim() === "" ? undefined : Number(hostPort),
      guestPort: guestPort.trim() === "" ? undefined : Number(guestPort),
      protocol,
      nic: nic || undefined,
    });
    if (!r.success) return setError(r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; "));
    setError(null);
    setBusy(true);
    try {
      await addForward(guest.id, r.data);
      setHostPort("");
      setGuestPort("");
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={submit} className="flex flex-wrap items-end gap-2" aria-label="Add a port forward">
      <Field label="Host port" className="w-28">
        <input
          className="input"
          type="number"
          min={1}
          max={65535}
          value={hostPort}
          onChange={(e) => setHostPort(e.target.value)}
        />
      </Field>
      <Field label="Guest port" className="w-28">
        <input
          className="input"
          type="number"
          min={1}
          max={65535}
          value={guestPort}
          onChange={(e) => setGuestPort(e.target.value)}
        />
      </Field>
      <Field label="Protocol" className="w-24">
        <select className="input" value={protocol} onChange={(e) => setProtocol(e.target.value as "tcp" | "udp")}>
          <option value="tcp">tcp</option>
          <option value="udp">udp</option>
        </select>
      </Field>
      {nics.length > 1 && (
        <Field label="To NIC" className="min-w-40">
          <select className="input" value={nic} onChange={(e) => setNic(e.target.value)}>
            <option value="">First NIC with IPv4</option>
            {nics.map((n) => (
              <option key={n.id} value={n.id}>
                {n.index + 1}: {n.network.name} {n.address ?? ""}
              </option>
            ))}
          </select>
        </Field>
      )}
      <button type="submit" className="btn-primary" disabled={busy}>
        Add forward
      </button>
      {error && (
        <p role="alert" className="w-full text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  );
}
