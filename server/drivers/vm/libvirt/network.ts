// The isolated VM network: a libvirt network (a bridge with DHCP and no <forward>) Tandem
// defines and starts once per connection, the first time a VM asks for it.
import type { Connection } from "../../../../native/libvirt/index";
import type { VmContext } from "./context";
import { buildNetworkXml } from "./xml-build";

export class IsolatedNetwork {
  private ready: Promise<void> | null = null;

  constructor(private readonly ctx: VmContext) {
    ctx.onNewConnection(() => (this.ready = null));
  }

  get name(): string {
    return this.ctx.net.name;
  }

  /** Defines (with autostart) and starts the network unless it is there and active already. */
  ensure(c: Connection): Promise<void> {
    this.ready ??= (async () => {
      const { name, bridge, prefix } = this.ctx.net;
      const existing = (await c.listNetworks()).find((n) => n.name === name);
      if (!existing) {
        await c.networkDefineXML(
          buildNetworkXml({
            name,
            bridge,
            address: `${prefix}.1`,
            netmask: "255.255.255.0",
            dhcpStart: `${prefix}.100`,
            dhcpEnd: `${prefix}.254`,
          }),
        );
        await c.networkSetAutostart(name, true).catch(() => undefined);
        this.ctx.log.info({ name, bridge }, "defined the isolated VM network");
      }
      if (!existing?.active) await c.networkCreate(name);
    })().catch((e: unknown) => {
      this.ready = null;
      throw this.ctx.fail(e, `start the network ${this.ctx.net.name}`);
    });
    return this.ready;
  }
}
