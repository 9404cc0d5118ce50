// The XML and shapes storage-pools.ts hands libvirt and the API: volume XML with byte sizes and
// format (names checked), a dir pool's permissions for QEMU's group, a volume's format read back,
// and libvirt's pool record as Tandem's pool.
import { describe, expect, it } from "vitest";
import { dirPoolXml, formatOf, toPool, volumeXml } from "./storage-pools";

describe("storage pool helpers", () => {
  it("writes volume XML in bytes and refuses a name that is not one", () => {
    expect(volumeXml({ name: "data.raw", capacityBytes: 1024, format: "raw", allocation: 1024 })).toBe(
      "<volume><name>data.raw</name><capacity unit='bytes'>1024</capacity><allocation unit='bytes'>1024</allocation>" +
        "<target><format type='raw'/></target></volume>",
    );
    expect(() => volumeXml({ name: "<x/>", capacityBytes: 1, format: "raw", allocation: 0 })).toThrow(
      /not a volume name/,
    );
  });

  it("gives a dir pool 0710 for QEMU's group, or no permissions when QEMU runs as root", () => {
    expect(dirPoolXml("tandem", "/d/pools/tandem", 64055)).toContain("<mode>0710</mode>");
    expect(dirPoolXml("tandem", "/d/pools/tandem", 64055)).toContain("<group>64055</group>");
    expect(dirPoolXml("tandem", "/d", null)).toBe(
      "<pool type='dir'><name>tandem</name><target><path>/d</path></target></pool>",
    );
  });

  it("reads a volume's format and maps pool records", () => {
    expect(formatOf("<volume><target><path>/p</path><format type='qcow2'/></target></volume>")).toBe("qcow2");
    expect(formatOf("<volume><target><format type='raw'/></target></volume>")).toBe("raw");
    const info = {
      name: "tandem",
      uuid: "u",
      active: true,
      persistent: true,
      autostart: true,
      state: "running" as const,
      capacity: 100,
      allocation: 40,
      available: 60,
      type: "dir",
      targetPath: "/p",
    };
    expect(toPool(info, 3, "tandem")).toEqual({
      name: "tandem",
      type: "dir",
      state: "running",
      path: "/p",
      capacityBytes: 100,
      allocationBytes: 40,
      availableBytes: 60,
      isDefault: true,
      volumeCount: 3,
    });
    expect(toPool({ ...info, state: "unknown" }, 0, "other")).toMatchObject({
      state: "inaccessible",
      isDefault: false,
    });
  });
});
