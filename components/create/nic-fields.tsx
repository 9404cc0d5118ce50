"use client";
// The wizard's NICs: one or more Tandem networks, each with a fixed address or one picked for
// the guest (DHCP for VMs, Tandem's allocation for containers).
import { useEffect, useState } from "react";
import type { Network } from "@/server/contract";
import { errorMessage } from "../api/client";
import { listNetworks } from "../api/networks";
import { Field } from "../ui/field";
import type { NicDraft, FieldsProps } from "./form-model";
import { RemoveRowButton, without } from "./row-parts";

export function NicFields({ draft, set, errors }: FieldsProps) {
  const [networks, setNetworks] = useState<Network[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    listNetworks().then(setNetworks, (e) => setLoadError(errorMessage(e)));
  }, []);
  const setNic = (i: number, p: Partial<NicDraft>) =>
    set(
      "nics",
      draft.nics.map((x, j) => (j === i ? { ...x, ...p } : x)),
    );
  const first = networks?.[0];
  return (
    <fieldset className="sm:col-span-2">
      <legend className="mb-1 text-sm font-medium">Network interfaces</legend>
      <p className="muted mb-2 text-xs">
        {draft.nics.length
          ? "The first NIC carries the default route and the port forwards."
          : "No NIC on a Tandem network: the guest gets the default networking above."}
      </p>
      {loadError && <p className="text-xs text-red-600">Could not list networks: {loadError}</p>}
      <div className="space-y-2">
        {draft.nics.map((n, i) => {
          const net = networks?.find((x) => x.name === n.network || x.id === n.network);
          return (
            <div key={i} className="flex flex-wrap items-start gap-2">
              <Field label={`NIC ${i + 1} network`} error={errors[`nics.${i}.network`]} className="min-w-44 flex-1">
                <select className="input" value={n.network} onChange={(e) => setNic(i, { network: e.target.value })}>
                  {!net && <option value={n.network}>{n.network || "Pick a network"}</option>}
                  {networks?.map((x) => (
                    <option key={x.id} value={x.name}>
                      {x.name} ({x.type}
                      {x.ipv4 ? `, ${x.ipv4.subnet}` : ""})
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                label={`NIC ${i + 1} address`}
                error={errors[`nics.${i}.address`]}
                hint={net?.ipv4 ? `Empty: automatic, in ${net.ipv4.subnet}.` : "Empty: automatic."}
                className="min-w-44 flex-1"
              >
                <input
                  className="input font-mono"
                  value={n.address}
                  placeholder="automatic"
                  onChange={(e) => setNic(i, { address: e.target.value })}
                />
              </Field>
              <RemoveRowButton row={`NIC ${i + 1}`} onRemove={() => set("nics", without(draft.nics, i))} />
            </div>
          );
        })}
        <button
          type="button"
          className="btn"
          disabled={!first || draft.nics.length >= 8}
          onClick={() => set("nics", [...draft.nics, { network: first?.name ?? "", address: "" }])}
        >
          Add a NIC
        </button>
        {networks?.length === 0 && <p className="muted text-xs">No networks yet: make one on the Networks page.</p>}
        {errors.nics && <p className="text-xs text-red-600 dark:text-red-400">{errors.nics}</p>}
      </div>
    </fieldset>
  );
}
