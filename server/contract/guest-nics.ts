// A guest's NICs on Tandem networks as the API shows them, and the bodies that add one to an
// existing guest (hotplug) or name one to remove.
import { z } from "zod";
import { GuestId, GuestNic } from "./guest";

/** Most NICs a guest may have on Tandem networks (indexes 0–7). */
export const MAX_GUEST_NICS = 8;

export const GuestNicInfo = z.object({
  id: z.string(),
  /** Position among the guest's NICs: 0 is eth0 (a container) / the first interface (a VM). */
  index: z.number().int(),
  network: z.object({ id: z.string(), name: z.string() }),
  mac: z.string(),
  /** The IPv4 address Tandem gave it (or the fixed one asked for); null on a bridged network. */
  address: z.string().nullable(),
  addressFixed: z.boolean(),
  /** The host side: a container's veth (vn…) or a VM's tap (tn…). */
  iface: z.string().nullable(),
});
export type GuestNicInfo = z.infer<typeof GuestNicInfo>;

export const GuestNicList = z.object({ nics: z.array(GuestNicInfo) });
export const GuestNicResponse = z.object({ nic: GuestNicInfo });

/** POST /api/v1/guests/{id}/nics: the network (id or name) and, optionally, a fixed address. */
export const AddNicBody = GuestNic;
export type AddNicBody = z.infer<typeof AddNicBody>;

export const GuestNicParams = z.object({ id: GuestId, nicId: z.string().min(1).max(200) });
