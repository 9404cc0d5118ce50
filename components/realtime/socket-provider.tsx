"use client";
// One typed socket.io connection per tab, shared through context. Reconnects by itself; the
// `connected` flag drives the disconnected banner and hooks resync on every (re)connect.
import { useRouter } from "next/navigation";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import type { ClientToServerEvents, ServerToClientEvents } from "@/server/contract";

export type TandemSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const SocketContext = createContext<{ socket: TandemSocket | null; connected: boolean }>({
  socket: null,
  connected: false,
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
  useEffect(() => {
    if (!socket) return;
    socket.on("connect", () => setConnected(true));
    socket.on("disconnect", () => setConnected(false));
    socket.on("connect_error", (err) => {
      setConnected(false);
      // The session expired or was revoked: back to sign-in rather than retrying forever.
      if (err.message === "UNAUTHENTICATED") router.replace(`/login?next=${encodeURIComponent(location.pathname)}`);
    });
    socket.connect();
    return () => {
      socket.removeAllListeners();
      socket.close();
    };
  }, [socket, router]);
  return <SocketContext.Provider value={{ socket, connected }}>{children}</SocketContext.Provider>;
}

export const useSocket = () => useContext(SocketContext);
