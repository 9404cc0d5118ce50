"use client";
// State that belongs to one "key" (a connection attempt, a range, a stream): reading it under
// another key gives the initial value, so an effect never has to reset state synchronously.
import { useCallback, useState } from "react";

export function useKeyedState<T>(key: string, initial: T): [T, (forKey: string, v: T | ((prev: T) => T)) => void] {
  const [s, setS] = useState<{ key: string; value: T }>({ key, value: initial });
  const value = s.key === key ? s.value : initial;
  const set = useCallback(
    (forKey: string, v: T | ((prev: T) => T)) =>
      setS((p) => {
        const prev = p.key === forKey ? p.value : initial;
        return { key: forKey, value: typeof v === "function" ? (v as (prev: T) => T)(prev) : v };
      }),
    [initial],
  );
  return [value, set];
}
