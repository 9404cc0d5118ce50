"use client";
// Light, dark or the system's choice. The choice lives in localStorage ("tandem-theme", read
// before paint by app/layout.tsx); "system" removes it and follows prefers-color-scheme live.
import { useSyncExternalStore } from "react";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "tandem-theme";
const listeners = new Set<() => void>();

function systemDark() {
  return typeof matchMedia !== "undefined" && matchMedia("(prefers-color-scheme: dark)").matches;
}

export function themeChoice(): ThemeChoice {
  try {
    const t = localStorage.getItem(KEY);
    return t === "light" || t === "dark" ? t : "system";
  } catch {
    return "system";
  }
}

function apply() {
  const c = themeChoice();
  document.documentElement.classList.toggle("dark", c === "dark" || (c === "system" && systemDark()));
  listeners.forEach((l) => l());
}

export function setThemeChoice(c: ThemeChoice) {
  try {
    if (c === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, c);
  } catch {
    /* private mode: still apply for this page */
  }
  apply();
}

export function toggleDark() {
  setThemeChoice(document.documentElement.classList.contains("dark") ? "light" : "dark");
}

function subscribe(l: () => void) {
  listeners.add(l);
  const mq = matchMedia("(prefers-color-scheme: dark)");
  const onSystem = () => apply();
  mq.addEventListener("change", onSystem);
  const onStorage = (e: StorageEvent) => e.key === KEY && apply();
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(l);
    mq.removeEventListener("change", onSystem);
    window.removeEventListener("storage", onStorage);
  };
}

/** The current choice and whether the page is dark now. */
export function useTheme(): { choice: ThemeChoice; dark: boolean } {
  const choice = useSyncExternalStore(subscribe, themeChoice, () => "system" as const);
  const dark = useSyncExternalStore(
    subscribe,
    () => document.documentElement.classList.contains("dark"),
    () => false,
  );
  return { choice, dark };
}
