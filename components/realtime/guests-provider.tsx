"use client";
// The live guest list for the whole dashboard: a full read on every (re)connect, then upserts
// and removals as pushed. Bursts (a bulk start of 200 guests) are applied once per frame.
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import type { Guest } from "@/server/contract";
import { ackOf } from "./ack";
import { useSocket } from "./socket-provider";

type GuestsState = {
  guests: Map<string, Guest>;
  /** Sorted by name; a new array whenever anything changed. */
  list: Guest[];
  loaded: boolean;
  error: string | null;
  /** Ids removed while this tab watched, so a guest page can say "deleted" rather than "not found". */
  removed: Set<string>;
};

const GuestsContext = createContext<GuestsState>({
  guests: new Map(),
  list: [],
  loaded: false,
  error: null,
  removed: new Set(),
});

type Change = { upsert: Guest } | { remove: string };

export function GuestsProvider({ children }: { children: ReactNode }) {
  const { socket, connected } = useSocket();
  const [guests, setGuests] = useState<Map<string, Guest>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const pending = useRef<Change[]>([]);
  const frame = useRef<number | null>(null);

  useEffect(() => {
    if (!socket || !connected) return;
    let live = true;
    const flush = () => {
      frame.current = null;
      const changes = pending.current;
      pending.current = [];
      setGuests((m) => {
        const n = new Map(m);
        for (const c of changes) {
          if ("upsert" in c) n.set(c.upsert.id, c.upsert);
          else n.delete(c.remove);
        }
        return n;
      });
      const gone = changes.flatMap((c) => ("remove" in c ? [c.remove] : []));
      if (gone.length) setRemoved((s) => new Set([...s, ...gone]));
    };
    const queue = (c: Change) => {
      pending.current.push(c);
      frame.current ??= requestAnimationFrame(flush);
    };
    const onUpsert = (g: Guest) => queue({ upsert: g });
    const onRemoved = ({ id }: { id: string }) => queue({ remove: id });
    socket.on("guest:upsert", onUpsert);
    socket.on("guest:removed", onRemoved);
    ackOf<Guest[]>((ack) => socket.emit("guests:list", ack))
      .then((list) => {
        if (!live) return;
        setGuests(new Map(list.map((g) => [g.id, g])));
        setError(null);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoaded(true));
    return () => {
      live = false;
      socket.off("guest:upsert", onUpsert);
      socket.off("guest:removed", onRemoved);
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      frame.current = null;
      pending.current = [];
    };
  }, [socket, connected]);

  const list = useMemo(
    () => [...guests.values()].sort((a, b) => a.name.localeCompare(b.name) || a.kind.localeCompare(b.kind)),
    [guests],
  );
  const value = useMemo(() => ({ guests, list, loaded, error, removed }), [guests, list, loaded, error, removed]);
  return <GuestsContext.Provider value={value}>{children}</GuestsContext.Provider>;
}

export const useGuests = () => useContext(GuestsContext);
export const useGuest = (id: string) => useContext(GuestsContext).guests.get(id);
