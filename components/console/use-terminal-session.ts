"use client";
// Binds an xterm to a console on the server: open, stream both ways, resize, close. Reopens by
// itself when the socket comes back, when the guest runs again after a reboot or stop, and
// with back-off when the server closes a console while the guest still runs.
import type { Terminal } from "@xterm/xterm";
import { useEffect, useRef, useState } from "react";
import { useKeyedState } from "../ui/use-keyed-state";
import { ackOf, AckFailure } from "../realtime/ack";
import { useSocket } from "../realtime/socket-provider";
import { backoff, type ConsoleStatus } from "./console-status";

const CONNECTING: ConsoleStatus = { state: "connecting" };

export function useTerminalSession(opts: {
  term: Terminal | null;
  guestId: string;
  mode: "serial" | "exec";
  running: boolean;
}): { status: ConsoleStatus; send: (data: string) => void; reconnect: () => void } {
  const { term, guestId, mode, running } = opts;
  const { socket, connected } = useSocket();
  const [generation, setGeneration] = useState(0);
  const key = `${guestId}|${mode}|${connected}|${running}|${generation}|${term ? 1 : 0}`;
  const [current, setStatusFor] = useKeyedState<ConsoleStatus>(key, CONNECTING);
  const consoleId = useRef<string | null>(null);
  const attempts = useRef(0);
  const opened = useRef(false);

  useEffect(() => {
    if (!socket || !term || !connected || !running) return;
    const setStatus = (s: ConsoleStatus) => setStatusFor(key, s);
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const early: { id: string; data: Uint8Array }[] = [];
    const decode = (d: ArrayBuffer | Uint8Array) => (d instanceof Uint8Array ? d : new Uint8Array(d));
    const onData = (p: { consoleId: string; data: ArrayBuffer | Uint8Array }) => {
      if (consoleId.current === p.consoleId) term.write(decode(p.data));
      else if (!consoleId.current) early.push({ id: p.consoleId, data: decode(p.data) });
    };
    const scheduleRetry = (message: string) => {
      const inMs = backoff(attempts.current++);
      setStatus({ state: "reconnecting", message, inMs });
      retry = setTimeout(() => setGeneration((g) => g + 1), inMs);
    };
    const onClosed = (p: { consoleId: string; reason: string }) => {
      if (p.consoleId !== consoleId.current) return;
      consoleId.current = null;
      term.write(`\r\n\x1b[2m[console closed: ${p.reason}]\x1b[0m\r\n`);
      scheduleRetry(`Console closed (${p.reason})`);
    };
    socket.on("console:data", onData);
    socket.on("console:closed", onClosed);
    ackOf<{ consoleId: string }>((ack) =>
      socket.emit("console:open", { guestId, mode, cols: term.cols, rows: term.rows }, ack),
    )
      .then(({ consoleId: id }) => {
        if (cancelled) {
          socket.emit("console:close", { consoleId: id });
          return;
        }
        if (opened.current) term.write("\r\n\x1b[2m[reconnected]\x1b[0m\r\n");
        opened.current = true;
        consoleId.current = id;
        attempts.current = 0;
        for (const e of early) if (e.id === id) term.write(e.data);
        setStatus({ state: "connected" });
      })
      .catch((e: Error) => {
        if (cancelled) return;
        if (e instanceof AckFailure && (e.code === "BAD_REQUEST" || e.code === "FORBIDDEN"))
          setStatus({ state: "unavailable", message: e.message });
        else scheduleRetry(e.message);
      });
    const input = term.onData((data) => {
      if (consoleId.current) socket.emit("console:input", { consoleId: consoleId.current, data });
    });
    const resize = term.onResize(({ cols, rows }) => {
      if (consoleId.current) socket.emit("console:resize", { consoleId: consoleId.current, cols, rows });
    });
    return () => {
      cancelled = true;
      clearTimeout(retry);
      input.dispose();
      resize.dispose();
      socket.off("console:data", onData);
      socket.off("console:closed", onClosed);
      if (consoleId.current && socket.connected) socket.emit("console:close", { consoleId: consoleId.current });
      consoleId.current = null;
    };
  }, [socket, connected, term, guestId, mode, running, key, setStatusFor]);

  const status: ConsoleStatus = !connected
    ? { state: "waiting", message: "Waiting for the connection to Tandem" }
    : !running
      ? { state: "waiting", message: "The guest is not running — the console connects when it starts" }
      : current;
  return {
    status,
    send: (data: string) => {
      if (consoleId.current && socket) socket.emit("console:input", { consoleId: consoleId.current, data });
    },
    reconnect: () => {
      attempts.current = 0;
      setGeneration((g) => g + 1);
    },
  };
}
