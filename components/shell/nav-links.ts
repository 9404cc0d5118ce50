// The dashboard's sections, in navigation order.
export const navLinks = [
  { href: "/", label: "Guests", shortcut: "g o" },
  { href: "/guests/new", label: "Create", shortcut: "n" },
  { href: "/images", label: "Images", shortcut: "g i" },
  { href: "/networks", label: "Networks", shortcut: "g n" },
  { href: "/storage", label: "Storage", shortcut: "g d" },
  { href: "/activity", label: "Activity", shortcut: "g a" },
  { href: "/settings", label: "Settings", shortcut: "g s" },
] as const;

export function isActive(pathname: string, href: string): boolean {
  if (href === "/") return pathname === "/" || (pathname.startsWith("/guests/") && pathname !== "/guests/new");
  return pathname === href || pathname.startsWith(href + "/");
}
