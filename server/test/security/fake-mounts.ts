// In-memory container volume mounts for the security tests (authz matrix, REST fuzz): the
// container driver's VolumeMountCapable without mkfs, loop devices or crun, so the volume routes
// answer their success statuses on fake drivers. Never the proof that volumes work:
// volumes.int.test.ts is, on libvirtd, conmon and crun.
import { AppError } from "../../domain/errors";
import type { ResolvedBind, ResolvedVolume, VolumeMountCapable } from "../../domain/storage";

export class FakeMounts implements VolumeMountCapable {
  readonly mounts = new Map<string, { volumes: ResolvedVolume[]; binds?: ResolvedBind[] }>();

  async makeFilesystem(): Promise<void> {}

  async setMounts(id: string, mounts: { volumes: ResolvedVolume[]; binds?: ResolvedBind[] }): Promise<void> {
    this.mounts.set(id, mounts);
  }

  /** Nothing is ever mounted: the fake containers have no host mounts. */
  async mountedVolumes(): Promise<{ path: string; guestId: string }[]> {
    return [];
  }

  /** Every bind must lie under an allowed root already (the service checked); the fake opens nothing. */
  checkBinds(binds: ResolvedBind[]): void {
    binds.forEach((b, i) => {
      if (b.relative.split("/").includes("..")) {
        throw new AppError("VALIDATION", `binds[${i}].hostPath: leaves its root`);
      }
    });
  }
}
