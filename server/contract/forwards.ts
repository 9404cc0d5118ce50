// Port forwards and per-guest firewall shapes shared by server and browser. A forward sends a
// host port to one NIC of a guest on a Tandem network (both kinds); a guest's firewall is an
// ordered list of inbound rules on top of the default: everything out, nothing in but forwards
// and replies.
import { z } from "zod";

export const Protocol = z.enum(["tcp", "udp"]);

export const PortForward = z.object({
  id: z.string(),
  guestId: z.string(),
  guestName: z.string(),
  nicId: z.string(),
  networkId: z.string(),
  /** The guest address the forward reaches (the NIC's); null until the NIC's address is known. */
  guestAddress: z.string().nullable(),
  protocol: Protocol,
  hostPort: z.number().int(),
  guestPort: z.number().int(),
});
export type PortForward = z.infer<typeof PortForward>;

export const CreateForwardBody = z.strictObject({
  /** Inside TANDEM_PUBLISH_PORT_RANGE; refused (409) when taken on the host or by another forward. */
  hostPort: z.number().int().min(1).max(65535),
  guestPort: z.number().int().min(1).max(65535),
  protocol: Protocol.default("tcp"),
  /** The NIC's id or index; omitted: the guest's first NIC on a network with IPv4. */
  nic: z.union([z.string().min(1).max(200), z.number().int().min(0).max(7)]).optional(),
});
export type CreateForwardBody = z.infer<typeof CreateForwardBody>;

export const firewallActions = ["allow", "deny"] as const;
export const FirewallRule = z.strictObject({
  action: z.enum(firewallActions),
  protocol: z.enum(["tcp", "udp", "icmp", "any"]),
  /** One port or a range (tcp/udp only); omitted: every port. */
  ports: z
    .strictObject({ start: z.number().int().min(1).max(65535), end: z.number().int().min(1).max(65535) })
    .refine((p) => p.start <= p.end, "ports.start must not exceed ports.end")
    .optional(),
  /** A source address or CIDR (IPv4 or IPv6); omitted: any source. */
  source: z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]).optional(),
});
export type FirewallRule = z.infer<typeof FirewallRule>;

/** PUT /guests/{id}/firewall replaces the list; the first matching rule decides. */
export const FirewallBody = z.strictObject({ rules: z.array(FirewallRule).max(64, "at most 64 rules") });
export type FirewallBody = z.infer<typeof FirewallBody>;

export const ForwardParams = z.object({ id: z.string().min(1).max(200), forwardId: z.string().min(1).max(200) });
export const ForwardResponse = z.object({ forward: PortForward });
export const ForwardList = z.object({ forwards: z.array(PortForward) });
export const FirewallResponse = z.object({ rules: z.array(FirewallRule) });
