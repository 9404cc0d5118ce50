// What a console shows about its connection.
export type ConsoleStatus =
  | { state: "connecting" }
  | { state: "connected" }
  | { state: "waiting"; message: string }
  | { state: "reconnecting"; message: string; inMs: number }
  | { state: "unavailable"; message: string }
  | { state: "error"; message: string };

export function statusText(s: ConsoleStatus): string {
  switch (s.state) {
    case "connecting":
      return "Connecting…";
    case "connected":
      return "Connected";
    case "reconnecting":
      return `${s.message} — reconnecting in ${Math.ceil(s.inMs / 1000)} s`;
    default:
      return s.message;
  }
}

/** 1 s, 2 s, 4 s … capped at 10 s. */
export const backoff = (attempt: number) => Math.min(10_000, 1000 * 2 ** Math.min(attempt, 4));
