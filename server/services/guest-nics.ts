// A guest's NICs on Tandem networks as Tandem records them (the `Nic` rows): resolving a create
// body's `nics` (network by id or name, a fresh MAC each), writing the rows that hold the
// networks (a network with a row cannot be deleted, see network-service.ts). The rows go with the
// guest's metadata row (GuestCatalog.forget).
import { randomBytes, randomUUID } from "node:crypto";
import type { GuestNic } from "../contract/guest";
import type { Db } from "../db/client";
import type { ResolvedNic } from "../domain/driver";
import { AppError } from "../domain/errors";

/** 52:54:00 is the prefix libvirt and QEMU give KVM guests: locally administered, never a vendor's. */
export function randomMac(): string {
  return ["52", "54", "00", ...[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

export class GuestNics {
  constructor(private readonly db: Db) {}

  /** Each NIC's network by id, else by name; 400 naming `nics[i].network` when there is none. */
  async resolve(nics: readonly GuestNic[]): Promise<ResolvedNic[]> {
    const out: ResolvedNic[] = [];
    for (const [i, n] of nics.entries()) {
      const row =
        (await this.db.network.findUnique({ where: { id: n.network } })) ??
        (await this.db.network.findUnique({ where: { name: n.network } }));
      if (!row) throw new AppError("VALIDATION", `nics[${i}].network: no network '${n.network}'`);
      // A fixed address needs a DHCP host entry in the network (next step of issue 12): refused
      // rather than recorded and not applied.
      if (n.address !== undefined) {
        throw new AppError("VALIDATION", `nics[${i}].address: fixed addresses are not supported yet (DHCP only)`);
      }
      out.push({
        networkId: row.id,
        mac: await this.freeMac(out),
        address: null,
        network: { name: row.name, bridge: row.bridge, ipv4Subnet: row.ipv4Subnet, ipv4Gateway: row.ipv4Gateway },
      });
    }
    return out;
  }

  /** Writes the guest's rows (before its driver makes it: the networks are held from then on). */
  async record(guestId: string, nics: readonly ResolvedNic[]): Promise<void> {
    await this.db.$transaction(
      nics.map((n, index) =>
        this.db.nic.create({
          data: { id: randomUUID(), guestId, networkId: n.networkId, mac: n.mac, address: n.address, index },
        }),
      ),
    );
  }

  /** A MAC no recorded NIC (nor one picked for this guest) has; 2^24 of them, so a clash is rare. */
  private async freeMac(picked: readonly ResolvedNic[]): Promise<string> {
    for (;;) {
      const mac = randomMac();
      if (picked.some((p) => p.mac === mac)) continue;
      if (!(await this.db.nic.findUnique({ where: { mac } }))) return mac;
    }
  }
}
