"use client";
// Opens and closes the command palette and the shortcut help from anywhere.
import { createContext, useContext, useMemo, useState, type ReactNode } from "react";

type Overlays = {
  paletteOpen: boolean;
  setPaletteOpen: (open: boolean) => void;
  helpOpen: boolean;
  setHelpOpen: (open: boolean) => void;
};

const OverlayContext = createContext<Overlays>({
  paletteOpen: false,
  setPaletteOpen: () => {},
  helpOpen: false,
  setHelpOpen: () => {},
});

export function OverlayProvider({ children }: { children: ReactNode }) {
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const value = useMemo(() => ({ paletteOpen, setPaletteOpen, helpOpen, setHelpOpen }), [paletteOpen, helpOpen]);
  return <OverlayContext.Provider value={value}>{children}</OverlayContext.Provider>;
}

export const useOverlays = () => useContext(OverlayContext);
