"use client";
// One typed socket.io connection per tab, shared through context. Reconnects by itself; the
// `connected` flag drives the disconnected banner, and hooks resync on every (re)connect.
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "@/server/contract";

export type TandemSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type SocketState = {
  socket: TandemSocket | null;
  connected: boolean;
  /** True once the first connection succeeded: a later loss is a disconnect, not a slow start. */
  everConnected: boolean;
  attempt: number;
  reconnectNow: () => void;
};

const SocketContext = createContext<SocketState>({
  socket: null,
  connected: false,
  everConnected: false,
  attempt: 0,
  reconnectNow: () => {},
});

export function SocketProvider({ children }: { children: ReactNode }) {
  const router = useRouter();
  // Created once per tab; not during server rendering, where there is no window to connect from.
  const [socket] = useState<TandemSocket | null>(() =>
    typeof window === "undefined"
      ? null
      : io({ path: "/socket.io", transports: ["websocket"], withCredentials: true, autoConnect: false }),
  );
  const [connected, setConnected] = useState(false);
  const [everConnected, setEverConnected] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (!socket) return;
    const onAttempt = (n: number) => setAttempt(n);
    socket.on("connect", () => {
      setConnected(true);
      setEverConnected(true);
      setAttempt(0);
    });
    socket.on("disconnect", (reason) => {
      setConnected(false);
      // The server closed us on purpose (restart, sign-out elsewhere): socket.io will not retry
      // by itself after "io server disconnect", so ask again.
      if (reason === "io server disconnect") socket.connect();
    });
    socket.on("connect_error", (err) => {
      setConnected(false);
      // The session expired or was revoked: back to sign-in rather than retrying forever.
      if (err.message === "UNAUTHENTICATED") router.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
    });
    socket.io.on("reconnect_attempt", onAttempt);
    socket.connect();
    return () => {
      socket.io.off("reconnect_attempt", onAttempt);
      socket.removeAllListeners();
      socket.close();
    };
  }, [socket, router]);
  const reconnectNow = () => {
    if (socket && !socket.connected) {
      socket.disconnect();
      socket.connect();
    }
  };
  return (
    <SocketContext.Provider value={{ socket, connected, everConnected, attempt, reconnectNow }}>
      {children}
    </SocketContext.Provider>
  );
}

export const useSocket = () => useContext(SocketContext);
