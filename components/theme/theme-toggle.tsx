"use client";
// The header's dark-mode switch.
import { MoonIcon, SunIcon } from "../ui/icons";
import { toggleDark, useTheme } from "./theme";

export function ThemeToggle() {
  const { dark } = useTheme();
  return (
    <button
      type="button"
      className="btn-icon"
      aria-label="Dark mode"
      aria-pressed={dark}
      title={dark ? "Switch to light mode" : "Switch to dark mode"}
      onClick={toggleDark}
    >
      {dark ? <SunIcon /> : <MoonIcon />}
    </button>
  );
}
