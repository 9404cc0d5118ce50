"use client";
// The live guest list: a full read on every (re)connect, then upserts and removals as pushed.
import { useEffect, useState } from "react";
import type { Guest } from "@/server/contract";
import { useSocket } from "./socket-provider";

export function useGuests(): { guests: Map<string, Guest>; loaded: boolean; error: string | null } {
  const { socket, connected } = useSocket();
  const [guests, setGuests] = useState<Map<string, Guest>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!socket || !connected) return;
    socket.emit("guests:list", (r) => {
      if (r.ok) {
        setGuests(new Map(r.data.map((g) => [g.id, g])));
        setError(null);
      } else setError(r.error.message);
      setLoaded(true);
    });
    const onUpsert = (g: Guest) => setGuests((m) => new Map(m).set(g.id, g));
    const onRemoved = ({ id }: { id: string }) =>
      setGuests((m) => {
        const n = new Map(m);
        n.delete(id);
        return n;
      });
    socket.on("guest:upsert", onUpsert);
    socket.on("guest:removed", onRemoved);
    return () => {
      socket.off("guest:upsert", onUpsert);
      socket.off("guest:removed", onRemoved);
    };
  }, [socket, connected]);

  return { guests, loaded, error };
}
