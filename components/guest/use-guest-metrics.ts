"use client";
// A guest's metric points for a range: history from REST, then live 1 s points from the
// socket room appended and trimmed to the window. Re-read after every reconnect.
import { useEffect } from "react";
import type { MetricPoint, MetricRange } from "@/server/contract";
import { errorMessage } from "../api/client";
import { guestMetrics } from "../api/guests";
import { ackOf } from "../realtime/ack";
import { useSocket } from "../realtime/socket-provider";
import { useKeyedState } from "../ui/use-keyed-state";

export const rangeSeconds: Record<MetricRange, number> = { "15m": 900, "1h": 3600, "24h": 86400, "7d": 604800 };

type State = { points: MetricPoint[]; loading: boolean; error: string | null };
const INITIAL: State = { points: [], loading: true, error: null };

export function useGuestMetrics(id: string, range: MetricRange): State {
  const { socket, connected } = useSocket();
  const key = `${id}|${range}|${connected}`;
  const [state, setFor] = useKeyedState<State>(key, INITIAL);

  useEffect(() => {
    if (!socket || !connected) return;
    let live = true;
    const windowMs = rangeSeconds[range] * 1000;
    const buffered: MetricPoint[] = [];
    let historyLoaded = false;
    const onPoint = (p: { id: string; point: MetricPoint }) => {
      if (p.id !== id) return;
      if (!historyLoaded) {
        buffered.push(p.point);
        return;
      }
      setFor(key, (s) => {
        const prev = s.points;
        const last = prev[prev.length - 1];
        if (last && last.t >= p.point.t) return s;
        const cut = p.point.t - windowMs;
        let start = 0;
        while (start < prev.length && prev[start]!.t < cut) start++;
        return { ...s, points: [...prev.slice(start), p.point] };
      });
    };
    socket.on("metrics:point", onPoint);
    ackOf<null>((ack) => socket.emit("metrics:subscribe", { ids: [id] }, ack)).catch(() => {});
    guestMetrics(id, range)
      .then((h) => {
        if (!live) return;
        const lastT = h.points[h.points.length - 1]?.t ?? 0;
        setFor(key, { points: [...h.points, ...buffered.filter((p) => p.t > lastT)], loading: false, error: null });
      })
      .catch((e) => {
        if (live) setFor(key, { points: buffered.slice(), loading: false, error: errorMessage(e) });
      })
      .finally(() => {
        historyLoaded = true;
      });
    return () => {
      live = false;
      socket.off("metrics:point", onPoint);
      if (socket.connected) socket.emit("metrics:unsubscribe", { ids: [id] }, () => {});
    };
  }, [socket, connected, id, range, key, setFor]);

  return state;
}
