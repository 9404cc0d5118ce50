// Bind mounts as the storage service checks them before the container driver opens anything:
// normalized, under an allow-listed root, one per container path, each refusal naming
// binds[i].hostPath (or .path); the driver's own beneath check is handed the resolved binds.
import { describe, expect, it } from "vitest";
import type { ResolvedBind, VolumeMountCapable } from "../domain/storage";
import { silentLogger } from "../domain/logger";
import { StorageService } from "./storage-service";

function service(roots: string[], checked: ResolvedBind[][] = []) {
  const mounter: VolumeMountCapable = {
    makeFilesystem: async () => undefined,
    setMounts: async () => undefined,
    mountedVolumes: async () => [],
    checkBinds: (b) => void checked.push(b),
  };
  return new StorageService({ db: {} as never, backend: null, mounter, bindRoots: roots, log: silentLogger });
}

describe("StorageService.resolveBinds", () => {
  it("resolves a bind under an allowed root relative to it and lets the driver check it", () => {
    const checked: ResolvedBind[][] = [];
    const out = service(["/srv/shared", "/data"], checked).resolveBinds([
      { hostPath: "/srv/shared/docs/", path: "/docs", readOnly: true },
      { hostPath: "/data", path: "/data" },
    ]);
    expect(out).toEqual([
      { root: "/srv/shared", relative: "docs", target: "/docs", readOnly: true },
      { root: "/data", relative: "", target: "/data", readOnly: false },
    ]);
    expect(checked).toEqual([out]);
  });

  it("refuses paths outside the roots, look-alike prefixes, traversal and a second bind at one path", () => {
    const s = service(["/srv/shared"]);
    const refuse = (hostPath: string, message: RegExp, path = "/x") =>
      expect(() =>
        s.resolveBinds([
          { hostPath: "/srv/shared/ok", path: "/ok" },
          { hostPath, path },
        ]),
      ).toThrow(expect.objectContaining({ code: "VALIDATION", message: expect.stringMatching(message) }));
    refuse("/etc", /^binds\[1\]\.hostPath: \/etc is not under/);
    refuse("/srv/shared-other", /^binds\[1\]\.hostPath: .* is not under/);
    refuse("/srv/shared/../../etc", /^binds\[1\]\.hostPath: must be a normalized/);
    refuse("/srv//shared/x", /^binds\[1\]\.hostPath: must be a normalized/);
    refuse("/srv/shared/b", /^binds\[1\]\.path: another bind uses \/ok/, "/ok");
  });

  it("says bind mounts are off when no root is allowed", () => {
    expect(() => service([]).resolveBinds([{ hostPath: "/srv", path: "/x" }])).toThrow(
      /binds\[0\]\.hostPath: bind mounts are off on this host \(no TANDEM_BIND_MOUNT_ROOTS\)/,
    );
  });
});
