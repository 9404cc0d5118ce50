// A VM's power states and its end: start (after the start checks), stop, reboot, pause,
// resume, an ACPI shutdown that waits for power-off, and delete. A delete undefines the domain
// with its snapshot, checkpoint and managed-save metadata and NVRAM; a purge also removes the
// VM's own directory and libvirt's log of it — never a base image, an ISO, or any file of an
// adopted domain (its disks are not Tandem's; it is only undefined, purge or not).
import path from "node:path";
import { rm } from "node:fs/promises";
import { ShutdownFlag, UndefineFlag, type Domain } from "../../../../native/libvirt/index";
import type { GuestAction } from "../../../contract/guest";
import { canAct } from "../../../contract/states";
import { AppError, invalidState } from "../../../domain/errors";
import type { VmContext } from "./context";
import type { GuestReader } from "./reads";
import type { StartPrep } from "./start-prep";
import { guestState } from "./states";
import type { Templates } from "./templates";
import { parseDomainXml, type ParsedDomain } from "./xml-parse";

export class Lifecycle {
  constructor(
    private readonly ctx: VmContext,
    private readonly reads: GuestReader,
    private readonly templates: Templates,
    private readonly startPrep: StartPrep,
    /** How long `shutdown` waits for power-off after the ACPI request. */
    private readonly shutdownTimeoutMs: number,
  ) {}

  async act(id: string, action: GuestAction): Promise<void> {
    const uuid = this.ctx.uuidOf(id);
    await this.ctx.withDomain(id, action, async (d, c) => {
      const st = await d.getState();
      const state = this.ctx.transitions.stateOf(uuid, st.code, st.reason);
      if (!canAct(state, action)) throw invalidState(`cannot ${action} ${d.name}: it is ${state}`);
      switch (action) {
        case "start":
          await this.templates.refuseIfTemplate(c, d, "start");
          await this.startPrep.beforeStart(c, d);
          await d.create();
          return;
        case "stop":
          this.ctx.transitions.clear(uuid);
          await d.destroy();
          return;
        case "reboot":
          await d.reboot();
          // libvirt sends no lifecycle event for a reboot: tell subscribers to re-read.
          this.ctx.hub.emit({ type: "changed", id: this.ctx.idOf(uuid) });
          return;
        case "pause":
          await d.suspend();
          return;
        case "resume":
          await d.resume();
          return;
        case "shutdown":
          await this.shutdown(uuid, d);
          return;
      }
    });
  }

  /** ACPI power button, then wait for the guest to power off — or report a clear timeout. */
  private async shutdown(uuid: string, d: Domain): Promise<void> {
    const { transitions, hub } = this.ctx;
    const until = Date.now() + this.shutdownTimeoutMs;
    transitions.set(uuid, "shutting-down", until);
    hub.emit({ type: "changed", id: this.ctx.idOf(uuid), state: "shutting-down" });
    try {
      await d.shutdown(ShutdownFlag.ACPI);
      while (Date.now() < until) {
        const st = await d.getState();
        const s = guestState(st.code, st.reason);
        if (s !== "running" && s !== "shutting-down") return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new AppError(
        "CONFLICT",
        `${d.name} did not power off within ${Math.round(this.shutdownTimeoutMs / 1000)} s of the ACPI shutdown request; ` +
          "it is still running (the guest may ignore ACPI) — use stop to force it off",
        { reason: "shutdown-timeout", timeoutMs: this.shutdownTimeoutMs },
      );
    } finally {
      transitions.clear(uuid);
      hub.emit({ type: "changed", id: this.ctx.idOf(uuid) });
    }
  }

  /**
   * Destroys and undefines the domain; with `purgeDisks`, a Tandem VM's own files go too (see
   * the header). A purge of a VM whose disk backs a linked clone is refused with CONFLICT before
   * anything is touched.
   */
  async remove(id: string, opts: { purgeDisks: boolean }): Promise<void> {
    const uuid = this.ctx.uuidOf(id);
    let parsed: ParsedDomain | null = null;
    await this.ctx.withDomain(id, "delete the VM", async (d, c) => {
      parsed = parseDomainXml(await d.getXMLDesc());
      if (opts.purgeDisks && parsed.tandem) await this.templates.refuseIfTemplate(c, d, "purge", parsed);
      if (await d.isActive()) await d.destroy();
      await d.undefine(
        UndefineFlag.MANAGED_SAVE |
          UndefineFlag.SNAPSHOTS_METADATA |
          UndefineFlag.CHECKPOINTS_METADATA |
          UndefineFlag.NVRAM,
      );
    });
    this.ctx.transitions.clear(uuid);
    this.reads.forget(uuid);
    const p = parsed as ParsedDomain | null;
    if (opts.purgeDisks && p?.tandem) {
      await this.ctx.layout.remove(uuid);
      if (this.ctx.isLocalSystemUri()) {
        await rm(path.join("/var/log/libvirt/qemu", `${p.name}.log`), { force: true }).catch(() => undefined);
      }
    }
    this.ctx.hub.emit({ type: "removed", id });
  }
}
