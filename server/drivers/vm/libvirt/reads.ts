// Reading guests: libvirt's domains (state, parsed XML, DHCP leases) → DriverGuest. libvirtd
// owns the truth and every read goes to it; this part only remembers what a read cannot give
// again (when an adopted domain was first seen) and each VM's vCPU count for the sampler.
import { isConnectionError, type Connection } from "../../../../native/libvirt/index";
import type { DriverGuest } from "../../../domain/driver";
import { addressesByMac, guestAddresses, leaseNetworks } from "./addresses";
import type { VmContext } from "./context";
import { parseDomainXml, type ParsedDomain, type ParsedNic } from "./xml-parse";

const GiB = 1024 ** 3;

/** Lease tables of the networks asked for: network → MAC → addresses. */
type Leases = Map<string, Map<string, string[]>>;

export class GuestReader {
  private readonly vcpus = new Map<string, number>();
  private readonly firstSeen = new Map<string, string>();

  constructor(
    private readonly ctx: VmContext,
    /** Called with the domain uuids of each full listing (the orphan sweep's first input). */
    private readonly onListing: (uuids: Set<string>) => Promise<void> = async () => undefined,
  ) {}

  async list(): Promise<DriverGuest[]> {
    const c = await this.ctx.conn();
    const all = await this.allDomains(c);
    await this.onListing(new Set(all.map((d) => d.uuid)));
    const parsed: { d: (typeof all)[number]; p: ParsedDomain }[] = [];
    for (const d of all) {
      d.domain.free();
      try {
        parsed.push({ d, p: parseDomainXml(d.xml) });
      } catch (e) {
        this.ctx.log.warn(
          { name: d.name, err: e instanceof Error ? e.message : String(e) },
          "skipping unreadable domain",
        );
      }
    }
    // Addresses of running guests: one lease call per network they use, not one per guest.
    const nics: ParsedNic[] = parsed.filter((x) => x.d.id > 0).flatMap((x) => x.p.nics);
    let leases: Leases;
    try {
      leases = await this.leases(c, leaseNetworks(nics));
    } catch (e) {
      throw this.ctx.fail(e, "read DHCP leases");
    }
    return parsed.map(({ d, p }) => this.toGuest(d.uuid, p, d.stateCode, d.reason, d.id > 0 ? leases : null));
  }

  async get(id: string): Promise<DriverGuest> {
    return this.ctx.withDomain(id, "read the VM", async (d, c) => {
      const [xml, st, active] = await Promise.all([d.getXMLDesc(), d.getState(), d.isActive()]);
      const parsed = parseDomainXml(xml);
      const leases = active ? await this.leases(c, leaseNetworks(parsed.nics)) : null;
      return this.toGuest(d.uuid, parsed, st.code, st.reason, leases);
    });
  }

  /** The uuids of every domain libvirt has (handles freed). */
  async domainUuids(): Promise<Set<string>> {
    const all = await this.allDomains(await this.ctx.conn());
    for (const d of all) d.domain.free();
    return new Set(all.map((d) => d.uuid));
  }

  private async allDomains(c: Connection) {
    try {
      return await c.listAllDomainsDetailed();
    } catch (e) {
      throw this.ctx.fail(e, "list VMs");
    }
  }

  /** The vCPU count last read for a domain (undefined: not read since this process started). */
  vcpusOf(uuid: string): number | undefined {
    return this.vcpus.get(uuid);
  }

  /** Drops what was remembered of a deleted domain. */
  forget(uuid: string): void {
    this.vcpus.delete(uuid);
    this.firstSeen.delete(uuid);
  }

  private toGuest(
    uuid: string,
    parsed: ParsedDomain,
    code: number,
    reason: number,
    leases: Leases | null,
  ): DriverGuest {
    this.vcpus.set(uuid, parsed.vcpus);
    const t = parsed.tandem;
    let createdAt = t?.createdAt || this.firstSeen.get(uuid);
    if (!createdAt) {
      createdAt = new Date().toISOString();
      this.firstSeen.set(uuid, createdAt);
    }
    return {
      id: this.ctx.idOf(uuid),
      hostId: this.ctx.hostId,
      kind: "vm",
      name: parsed.name,
      state: this.ctx.transitions.stateOf(uuid, code, reason),
      vcpus: parsed.vcpus,
      memoryMiB: Math.round(parsed.memoryKiB / 1024),
      diskGiB: t?.diskBytes != null ? Math.round((t.diskBytes / GiB) * 100) / 100 : null,
      image: t?.image ?? null,
      createdAt,
      adopted: t === null,
      ipAddresses: leases ? guestAddresses(parsed.nics, leases) : [],
    };
  }

  /**
   * The DHCP leases of these networks: one virNetworkGetDHCPLeases call per network, all at
   * once. A network that cannot answer (stopped, no DHCP) just gives no addresses.
   */
  private async leases(c: Connection, networks: Iterable<string>): Promise<Leases> {
    const names = [...new Set(networks)];
    const now = Math.floor(Date.now() / 1000);
    const out: Leases = new Map();
    await Promise.all(
      names.map(async (n) => {
        try {
          out.set(n, addressesByMac(await c.networkGetDHCPLeases(n), now));
        } catch (e) {
          if (isConnectionError(e)) throw e;
          this.ctx.log.debug({ network: n, err: e instanceof Error ? e.message : String(e) }, "no DHCP leases");
        }
      }),
    );
    return out;
  }
}
