"use client";
// VM or container: two big radio cards.
import type { GuestKind } from "@/server/contract";
import { ContainerIcon, VmIcon } from "../ui/icons";

const options: { kind: GuestKind; title: string; text: string; icon: React.ReactNode }[] = [
  {
    kind: "vm",
    title: "Virtual machine",
    text: "A full OS with its own kernel (KVM or QEMU).",
    icon: <VmIcon width={22} height={22} />,
  },
  {
    kind: "container",
    title: "Container",
    text: "A process tree in namespaces and cgroups; starts in a blink.",
    icon: <ContainerIcon width={22} height={22} />,
  },
];

export function KindSwitch({ value, onChange }: { value: GuestKind; onChange: (k: GuestKind) => void }) {
  return (
    <fieldset>
      <legend className="mb-2 text-sm font-medium">What to create</legend>
      <div className="grid gap-2 sm:grid-cols-2">
        {options.map((o) => (
          <label
            key={o.kind}
            className={`flex cursor-pointer gap-3 rounded-lg border p-3 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-blue-500 ${
              value === o.kind
                ? "border-blue-500 bg-blue-50 dark:bg-blue-950/40"
                : "border-zinc-300 hover:border-zinc-400 dark:border-zinc-700"
            }`}
          >
            <input
              type="radio"
              name="kind"
              value={o.kind}
              checked={value === o.kind}
              onChange={() => onChange(o.kind)}
              className="sr-only"
            />
            <span className="mt-0.5 text-zinc-600 dark:text-zinc-300">{o.icon}</span>
            <span>
              <span className="block text-sm font-semibold">{o.title}</span>
              <span className="muted block text-xs">{o.text}</span>
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
