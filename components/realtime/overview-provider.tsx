"use client";
// The overview series lives as long as the tab (so sparklines keep their minute across page
// changes); the room is joined only while a page that shows live rows is mounted — nothing is
// sampled for nobody — and rejoined after every reconnect.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { GuestSummaryPoint } from "@/server/contract";
import { ackOf } from "./ack";
import { OverviewSeries } from "./overview-series";
import { useSocket } from "./socket-provider";

const SeriesContext = createContext<OverviewSeries | null>(null);

export function SeriesStoreProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => new OverviewSeries());
  return <SeriesContext.Provider value={store}>{children}</SeriesContext.Provider>;
}

export function useOverviewSeries(): OverviewSeries {
  const s = useContext(SeriesContext);
  if (!s) throw new Error("useOverviewSeries needs a SeriesStoreProvider");
  return s;
}

/** Mount where live overview numbers are shown. */
export function OverviewProvider({ children }: { children: ReactNode }) {
  const { socket, connected } = useSocket();
  const store = useOverviewSeries();
  useEffect(() => {
    if (!socket || !connected) return;
    const onTick = (p: { guests: Record<string, GuestSummaryPoint> }) => store.push(p.guests);
    socket.on("metrics:overview", onTick);
    ackOf<Record<string, GuestSummaryPoint[]>>((ack) => socket.emit("overview:join", ack))
      .then((recent) => {
        for (const [id, points] of Object.entries(recent)) store.seed(id, points);
      })
      .catch(() => {});
    return () => {
      socket.off("metrics:overview", onTick);
      if (socket.connected) socket.emit("overview:leave", () => {});
    };
  }, [socket, connected, store]);
  return <>{children}</>;
}
