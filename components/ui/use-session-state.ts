"use client";
// State that survives navigating away and back within the tab (filters, selected range).
import { useEffect, useState } from "react";

export function useSessionState<T extends object>(key: string, initial: T): [T, (v: T | ((p: T) => T)) => void] {
  const [value, setValue] = useState<T>(initial);
  const [restored, setRestored] = useState(false);
  useEffect(() => {
    try {
      const raw = sessionStorage.getItem(key);
      // eslint-disable-next-line react-hooks/set-state-in-effect -- restoring once after hydration
      if (raw) setValue({ ...initial, ...(JSON.parse(raw) as T) });
    } catch {
      /* unreadable: keep the default */
    }
    setRestored(true);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- restore once per key
  }, [key]);
  useEffect(() => {
    if (!restored) return;
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* full or disabled: not worth an error */
    }
  }, [key, value, restored]);
  return [value, setValue];
}
