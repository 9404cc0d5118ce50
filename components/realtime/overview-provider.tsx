"use client";
// Joins the overview room while a page that shows live rows is mounted (nothing is sampled for
// nobody) and feeds the shared series store; rejoins after every reconnect.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { ackOf } from "./ack";
import { OverviewSeries } from "./overview-series";
import { useSocket } from "./socket-provider";

const SeriesContext = createContext<OverviewSeries | null>(null);

export function OverviewProvider({ children }: { children: ReactNode }) {
  const { socket, connected } = useSocket();
  const [store] = useState(() => new OverviewSeries());
  useEffect(() => {
    if (!socket || !connected) return;
    const onTick = (p: { guests: Parameters<OverviewSeries["push"]>[0] }) => store.push(p.guests);
    socket.on("metrics:overview", onTick);
    ackOf<null>((ack) => socket.emit("overview:join", ack)).catch(() => {});
    return () => {
      socket.off("metrics:overview", onTick);
      if (socket.connected) socket.emit("overview:leave", () => {});
    };
  }, [socket, connected, store]);
  return <SeriesContext.Provider value={store}>{children}</SeriesContext.Provider>;
}

export function useOverviewSeries(): OverviewSeries {
  const s = useContext(SeriesContext);
  if (!s) throw new Error("useOverviewSeries needs an OverviewProvider");
  return s;
}
