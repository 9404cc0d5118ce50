"use client";
// Theme: follow the system, or always light, or always dark.
import { setThemeChoice, useTheme, type ThemeChoice } from "../theme/theme";

const choices: { value: ThemeChoice; label: string }[] = [
  { value: "system", label: "Same as the system" },
  { value: "light", label: "Light" },
  { value: "dark", label: "Dark" },
];

export function Appearance() {
  const { choice } = useTheme();
  return (
    <section className="card p-4" aria-labelledby="appearance-heading">
      <h2 id="appearance-heading" className="mb-2 font-semibold">
        Appearance
      </h2>
      <fieldset className="flex flex-wrap gap-4 text-sm">
        <legend className="sr-only">Theme</legend>
        {choices.map((c) => (
          <label key={c.value} className="flex items-center gap-2">
            <input
              type="radio"
              name="theme"
              value={c.value}
              checked={choice === c.value}
              onChange={() => setThemeChoice(c.value)}
            />
            {c.label}
          </label>
        ))}
      </fieldset>
    </section>
  );
}
