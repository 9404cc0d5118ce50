"use client";
// Ctrl/Cmd+K: jump to any guest or page, or act on a guest ("reboot web-1").
import { Command } from "cmdk";
import { usePathname, useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { useGuests } from "../realtime/guests-provider";
import { toggleDark } from "../theme/theme";
import { KindIcon } from "../ui/icons";
import { StateBadge } from "../guest/state-badge";
import { actionLabels } from "../guest/actions";
import { useGuestAction } from "../guest/use-guest-action";
import { guestHref, guestIdFromPath } from "../guest/links";
import { paletteItems, type PaletteItem } from "./palette-items";
import { useOverlays } from "./palette-provider";

export function CommandPalette() {
  const { paletteOpen, setPaletteOpen, setHelpOpen } = useOverlays();
  const { list, guests } = useGuests();
  const router = useRouter();
  const pathname = usePathname();
  const act = useGuestAction();
  const [query, setQuery] = useState("");
  const currentId = guestIdFromPath(pathname);
  const current = currentId ? guests.get(currentId) : undefined;
  const groups = useMemo(() => paletteItems(query, list, current), [query, list, current]);

  function close() {
    setPaletteOpen(false);
    setQuery("");
  }
  function run(item: PaletteItem) {
    close();
    if (item.type === "guest") router.push(guestHref(item.guest.id));
    else if (item.type === "page") router.push(item.href);
    else if (item.type === "action") void act(item.guest, item.action);
    else if (item.run === "theme") toggleDark();
    else setHelpOpen(true);
  }

  return (
    <Command.Dialog
      open={paletteOpen}
      onOpenChange={(o) => (o ? setPaletteOpen(true) : close())}
      label="Command palette"
      shouldFilter={false}
      loop
      overlayClassName="fixed inset-0 z-40 bg-black/40"
      contentClassName="fixed top-[12vh] left-1/2 z-50 w-[min(40rem,calc(100vw-1.5rem))] -translate-x-1/2 overflow-hidden rounded-xl border border-zinc-200 bg-white shadow-2xl dark:border-zinc-700 dark:bg-zinc-900"
    >
      <Command.Input
        value={query}
        onValueChange={setQuery}
        placeholder="Jump to a guest, or type an action: start web-1…"
        aria-label="Search guests and actions"
        className="w-full border-b border-zinc-200 bg-transparent px-4 py-3 text-base outline-none dark:border-zinc-700"
      />
      <Command.List className="max-h-[60vh] overflow-y-auto p-2">
        <Command.Empty className="px-3 py-6 text-center text-sm text-zinc-500">Nothing matches.</Command.Empty>
        {groups.map((g) => (
          <Command.Group
            key={g.heading}
            heading={g.heading}
            className="mb-2 [&_[cmdk-group-heading]]:px-2 [&_[cmdk-group-heading]]:py-1 [&_[cmdk-group-heading]]:text-xs [&_[cmdk-group-heading]]:font-semibold [&_[cmdk-group-heading]]:text-zinc-500"
          >
            {g.items.map((item) => (
              <Command.Item
                key={item.id}
                value={item.id}
                onSelect={() => run(item)}
                className="flex cursor-pointer items-center gap-2 rounded-md px-2 py-1.5 text-sm data-[selected=true]:bg-blue-50 data-[selected=true]:text-blue-900 dark:data-[selected=true]:bg-blue-950 dark:data-[selected=true]:text-blue-100"
              >
                <ItemContent item={item} />
              </Command.Item>
            ))}
          </Command.Group>
        ))}
      </Command.List>
      <div className="flex gap-3 border-t border-zinc-200 px-3 py-2 text-xs text-zinc-500 dark:border-zinc-700">
        <span>
          <kbd className="kbd">↑</kbd> <kbd className="kbd">↓</kbd> move
        </span>
        <span>
          <kbd className="kbd">Enter</kbd> open
        </span>
        <span>
          <kbd className="kbd">Esc</kbd> close
        </span>
      </div>
    </Command.Dialog>
  );
}

function ItemContent({ item }: { item: PaletteItem }) {
  if (item.type === "guest")
    return (
      <>
        <KindIcon kind={item.guest.kind} className="shrink-0 text-zinc-500" />
        <span className="flex-1 truncate">{item.guest.name}</span>
        <StateBadge state={item.guest.state} />
      </>
    );
  if (item.type === "action")
    return (
      <>
        <KindIcon kind={item.guest.kind} className="shrink-0 text-zinc-500" />
        <span className="flex-1 truncate">
          {actionLabels[item.action]} <strong>{item.guest.name}</strong>
        </span>
        <StateBadge state={item.guest.state} />
      </>
    );
  return (
    <>
      <span className="flex-1">{item.label}</span>
      {item.hint && <kbd className="kbd">{item.hint}</kbd>}
    </>
  );
}
