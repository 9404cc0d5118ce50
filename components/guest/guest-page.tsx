"use client";
// One guest: header with actions, then tabs. The guest comes live from the shared list; a
// direct visit before the list arrives reads it once over REST.
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";
import type { Guest } from "@/server/contract";
import { errorMessage, isNotFound } from "../api/client";
import { getGuest } from "../api/guests";
import { ConsoleTab } from "../console/console-tab";
import { useGuests } from "../realtime/guests-provider";
import { isTypingTarget } from "../shell/typing";
import { TabPanel, Tabs, type TabDef } from "../ui/tabs";
import { GuestCharts } from "./guest-charts";
import { GuestDetails } from "./guest-details";
import { GuestHeader } from "./guest-header";
import { LogsTab } from "./logs-tab";
import { NetworkTab } from "./network-tab";
import { SettingsTab } from "./settings-tab";
import { SnapshotsTab } from "./snapshots-tab";
import { StorageTab } from "./storage-tab";
import { CreatingNotice } from "./creating-notice";

type TabKey = "overview" | "console" | "snapshots" | "logs" | "network" | "storage" | "settings";

function tabsFor(g: Guest): TabDef<TabKey>[] {
  return [
    { key: "overview", label: "Overview" },
    { key: "console", label: "Console" },
    ...(g.capabilities.snapshots ? [{ key: "snapshots" as const, label: "Snapshots" }] : []),
    ...(g.capabilities.logs ? [{ key: "logs" as const, label: "Logs" }] : []),
    { key: "network", label: "Network" },
    { key: "storage", label: "Storage" },
    { key: "settings", label: "Settings" },
  ];
}

export function GuestPage({ id }: { id: string }) {
  const { guests, loaded, removed } = useGuests();
  const live = guests.get(id);
  const [fetched, setFetched] = useState<Guest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();

  useEffect(() => {
    if (live || loaded) return;
    getGuest(id)
      .then(setFetched)
      .catch((e) => setError(isNotFound(e) ? "not-found" : errorMessage(e)));
  }, [id, live, loaded]);

  const guest = live ?? (loaded ? undefined : (fetched ?? undefined));
  if (!guest) {
    if (removed.has(id) || (loaded && !live) || error === "not-found")
      return (
        <div className="card p-8 text-center">
          <p className="mb-3 font-medium">{removed.has(id) ? "This guest was deleted." : "There is no such guest."}</p>
          <Link href="/" className="btn">
            Back to the guest list
          </Link>
        </div>
      );
    if (error)
      return (
        <p role="alert" className="text-red-600">
          {error}
        </p>
      );
    return <p className="muted">Loading…</p>;
  }

  const tabs = tabsFor(guest);
  const wanted = params.get("tab") as TabKey | null;
  const tab: TabKey = tabs.some((t) => t.key === wanted) ? wanted! : "overview";
  const select = (k: TabKey) => router.replace(k === "overview" ? pathname : `${pathname}?tab=${k}`, { scroll: false });

  return (
    <div className="space-y-4">
      <TabKeys tabs={tabs} onSelect={select} />
      <nav aria-label="Breadcrumb" className="muted text-sm">
        <Link href="/" className="hover:underline">
          Guests
        </Link>{" "}
        / <span aria-current="page">{guest.name}</span>
      </nav>
      <GuestHeader guest={guest} />
      {guest.state === "creating" && <CreatingNotice guest={guest} />}
      <Tabs tabs={tabs} selected={tab} onSelect={select} label="Guest sections" idPrefix="guest" />
      <TabPanel idPrefix="guest" tab={tab}>
        {tab === "overview" && (
          <div className="grid gap-4 xl:grid-cols-[20rem_1fr]">
            <GuestDetails guest={guest} />
            <GuestCharts id={guest.id} />
          </div>
        )}
        {tab === "console" && <ConsoleTab guest={guest} />}
        {tab === "snapshots" && <SnapshotsTab guest={guest} />}
        {tab === "logs" && <LogsTab guest={guest} />}
        {tab === "network" && <NetworkTab guest={guest} />}
        {tab === "storage" && <StorageTab guest={guest} />}
        {tab === "settings" && <SettingsTab guest={guest} />}
      </TabPanel>
    </div>
  );
}

/** 1–4 pick a tab while no field or console has the keyboard. */
function TabKeys({ tabs, onSelect }: { tabs: TabDef<TabKey>[]; onSelect: (k: TabKey) => void }) {
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      const t = tabs[Number(e.key) - 1];
      if (t && /^[1-9]$/.test(e.key)) {
        e.preventDefault();
        onSelect(t.key);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [tabs, onSelect]);
  return null;
}
