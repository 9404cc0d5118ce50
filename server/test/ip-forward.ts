// libvirt switches net.ipv4.ip_forward on, host-wide, when a NAT network starts, and never off.
// A test that starts one records the setting first and puts it back at the end, unless a NAT
// network is still active (someone else's: then forwarding is theirs and stays on).
import { readFileSync, writeFileSync } from "node:fs";

/** What restore needs of a libvirt connection (by shape: only drivers import the binding). */
interface NetworkLister {
  listNetworks(): Promise<{ name: string; active: boolean }[]>;
  networkGetXMLDesc(name: string): Promise<string>;
}

const SYSCTL = "/proc/sys/net/ipv4/ip_forward";

export const ipForward = (): string => readFileSync(SYSCTL, "utf8").trim();

/** Takes the setting now; `restore(conn)` writes it back when no active libvirt network forwards with NAT. */
export function holdIpForward(): { before: string; restore(conn: NetworkLister | undefined): Promise<void> } {
  const before = ipForward();
  return {
    before,
    async restore(conn) {
      if (ipForward() === before || !conn) return;
      for (const n of await conn.listNetworks()) {
        if (!n.active) continue;
        const xml = await conn.networkGetXMLDesc(n.name).catch(() => "");
        // <forward/> without a mode is NAT too; Tandem's NAT networks are mode 'open' (its own
        // nft table masquerades, server/drivers/netfilter).
        if (/<forward(?![^>]*mode=)|<forward[^>]*mode=['"](nat|open)['"]/.test(xml)) return;
      }
      writeFileSync(SYSCTL, before);
    },
  };
}
