"use client";
// The dashboard frame: providers, navigation, the palette button, theme, user, banner.
import Link from "next/link";
import { usePathname } from "next/navigation";
import { useState, type ReactNode } from "react";
import { LazyCommandPalette } from "../palette/lazy-palette";
import { OverlayProvider, useOverlays } from "../palette/palette-provider";
import { GuestsProvider } from "../realtime/guests-provider";
import { SeriesStoreProvider } from "../realtime/overview-provider";
import { SocketProvider } from "../realtime/socket-provider";
import { TasksProvider } from "../realtime/tasks-provider";
import { SessionProvider } from "../session-provider";
import { ThemeToggle } from "../theme/theme-toggle";
import { MenuIcon, SearchIcon } from "../ui/icons";
import { Toaster } from "../ui/toaster";
import { DisconnectedBanner } from "./disconnected-banner";
import { Hotkeys } from "./hotkeys";
import { isActive, navLinks } from "./nav-links";
import { UserMenu } from "./user-menu";

function NavLinks({ onNavigate, vertical = false }: { onNavigate?: () => void; vertical?: boolean }) {
  const pathname = usePathname();
  return (
    <ul className={vertical ? "flex flex-col gap-1" : "flex items-center gap-1"}>
      {navLinks.map((l) => {
        const active = isActive(pathname, l.href);
        return (
          <li key={l.href}>
            <Link
              href={l.href}
              onClick={onNavigate}
              aria-current={active ? "page" : undefined}
              className={`block rounded-md px-2.5 py-1.5 text-sm font-medium ${
                active
                  ? "bg-zinc-200 text-zinc-900 dark:bg-zinc-800 dark:text-zinc-50"
                  : "text-zinc-600 hover:bg-zinc-100 hover:text-zinc-900 dark:text-zinc-400 dark:hover:bg-zinc-900 dark:hover:text-zinc-100"
              }`}
            >
              {l.label}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

function PaletteButton() {
  const { setPaletteOpen } = useOverlays();
  return (
    <button
      type="button"
      onClick={() => setPaletteOpen(true)}
      aria-label="Open command palette"
      aria-keyshortcuts="Control+K Meta+K"
      className="flex items-center gap-2 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-500 hover:border-zinc-400 focus-visible:ring-2 focus-visible:ring-blue-500 focus-visible:outline-none sm:w-56 dark:border-zinc-700 dark:bg-zinc-900"
    >
      <SearchIcon />
      <span className="hidden flex-1 text-left sm:inline">Jump to…</span>
      <kbd className="kbd hidden sm:inline">Ctrl K</kbd>
    </button>
  );
}

function Header() {
  const [menuOpen, setMenuOpen] = useState(false);
  return (
    <header className="sticky top-0 z-30 border-b border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-950">
      <div className="flex items-center gap-3 px-3 py-2 sm:px-4">
        <button
          type="button"
          className="btn-icon md:hidden"
          aria-label="Menu"
          aria-expanded={menuOpen}
          aria-controls="mobile-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <MenuIcon />
        </button>
        <Link href="/" className="text-base font-semibold tracking-tight">
          Tandem
        </Link>
        <nav aria-label="Main" className="hidden md:block">
          <NavLinks />
        </nav>
        <div className="flex-1" />
        <PaletteButton />
        <ThemeToggle />
        <div className="hidden md:block">
          <UserMenu />
        </div>
      </div>
      {menuOpen && (
        <nav
          id="mobile-nav"
          aria-label="Main"
          className="border-t border-zinc-200 px-3 py-2 md:hidden dark:border-zinc-800"
        >
          <NavLinks vertical onNavigate={() => setMenuOpen(false)} />
          <div className="mt-2 border-t border-zinc-200 pt-2 dark:border-zinc-800">
            <UserMenu compact />
          </div>
        </nav>
      )}
    </header>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  return (
    <SessionProvider>
      <SocketProvider>
        <Toaster>
          <GuestsProvider>
            <SeriesStoreProvider>
              <TasksProvider>
                <OverlayProvider>
                  <a
                    href="#main"
                    className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2"
                  >
                    Skip to content
                  </a>
                  <DisconnectedBanner />
                  <Header />
                  <main id="main" className="mx-auto max-w-[1600px] p-3 sm:p-4">
                    {children}
                  </main>
                  <LazyCommandPalette />
                  <Hotkeys />
                </OverlayProvider>
              </TasksProvider>
            </SeriesStoreProvider>
          </GuestsProvider>
        </Toaster>
      </SocketProvider>
    </SessionProvider>
  );
}
