"use client";
// The guest's Network tab: its NICs, the ports forwarded to it and its firewall rules. Each part
// loads on its own, so a backend that lacks one (the server answers 4xx/404) does not hide the
// others.
import { useCallback, useEffect, useState } from "react";
import type { FirewallRule, Guest, Network, PortForward } from "@/server/contract";
import { errorMessage } from "../api/client";
import { getFirewall, listForwards, listNics, type NicInfo } from "../api/guest-network";
import { listNetworks } from "../api/networks";
import { useHasRole } from "../session-provider";
import { FirewallSection } from "./firewall-section";
import { ForwardsSection } from "./forwards-section";
import { NicsSection } from "./nics-section";

type Loaded<T> = { ok: true; value: T } | { ok: false; error: string } | null;
const settle = <T,>(p: Promise<T>): Promise<Loaded<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (e) => ({ ok: false as const, error: errorMessage(e) }),
  );

function Failed({ what, error }: { what: string; error: string }) {
  return (
    <p role="alert" className="card p-4 text-sm text-red-600 dark:text-red-400">
      Could not load {what}: {error}
    </p>
  );
}

export function NetworkTab({ guest }: { guest: Guest }) {
  const canOperate = useHasRole("operator");
  const [nics, setNics] = useState<Loaded<NicInfo[]>>(null);
  const [networks, setNetworks] = useState<Network[]>([]);
  const [forwards, setForwards] = useState<Loaded<PortForward[]>>(null);
  const [rules, setRules] = useState<Loaded<FirewallRule[]>>(null);
  const refresh = useCallback(() => {
    void settle(listNics(guest.id)).then(setNics);
    void settle(listForwards(guest.id)).then(setForwards);
    listNetworks().then(setNetworks, () => setNetworks([]));
  }, [guest.id]);
  useEffect(refresh, [refresh]);
  useEffect(() => {
    void settle(getFirewall(guest.id)).then(setRules);
  }, [guest.id]);

  if (!nics) return <p className="muted text-sm">Loading…</p>;
  return (
    <div className="grid max-w-4xl gap-4">
      {nics.ok ? (
        <NicsSection guest={guest} nics={nics.value} networks={networks} canOperate={canOperate} onChange={refresh} />
      ) : (
        <Failed what="the NICs" error={nics.error} />
      )}
      {forwards?.ok && (
        <ForwardsSection
          guest={guest}
          forwards={forwards.value}
          nics={nics.ok ? nics.value : []}
          canOperate={canOperate}
          onChange={refresh}
        />
      )}
      {forwards && !forwards.ok && <Failed what="the port forwards" error={forwards.error} />}
      {rules?.ok && <FirewallSection key={guest.id} guest={guest} rules={rules.value} canOperate={canOperate} />}
      {rules && !rules.ok && <Failed what="the firewall rules" error={rules.error} />}
    </div>
  );
}
