// The create planner without a host: every refusal and its code, and the first record.
import { describe, expect, it } from "vitest";
import type { GuestSpec } from "../../../domain/driver";
import { AppError } from "../../../domain/errors";
import {
  hostnameFor,
  planRecord,
  stopSignalOf,
  uuidFor,
  validateCreate,
  validateLimits,
  type CreateRules,
} from "./create-plan";
import type { ContainerRecord } from "./record";

const rules: CreateRules = {
  host: { cpuCount: 4, memTotalBytes: 8 * 1024 ** 3 },
  publishPortRange: { first: 1024, last: 65535 },
  tandemPort: 3000,
};

const spec = (o: Partial<GuestSpec<"container">> = {}): GuestSpec<"container"> =>
  ({
    kind: "container",
    name: "web",
    image: "busybox",
    vcpus: 1,
    memoryMiB: 64,
    uuid: "u-1",
    resolvedImage: { id: "img", kind: "container", format: "oci", path: "/img", meta: {} },
    ...o,
  }) as GuestSpec<"container">;

const other = { name: "db", ports: [{ hostPort: 8080, guestPort: 80, protocol: "tcp" }] } as ContainerRecord;

function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof AppError ? e.code : "not an AppError";
  }
  return undefined;
}

describe("validateCreate", () => {
  it("accepts a plain body", () => {
    expect(
      codeOf(() =>
        validateCreate(spec({ ports: [{ hostPort: 8081, guestPort: 80, protocol: "tcp" }] }), rules, [other]),
      ),
    ).toBeUndefined();
  });

  it.each([
    ["a VM body", spec({ kind: "vm" } as unknown as Partial<GuestSpec<"container">>), "VALIDATION"],
    [
      "a VM image",
      spec({ resolvedImage: { id: "i", kind: "vm", format: "qcow2", path: "/i", meta: {} } }),
      "VALIDATION",
    ],
    ["more CPUs than the host", spec({ vcpus: 5 }), "INSUFFICIENT_RESOURCES"],
    ["more memory than the host", spec({ memoryMiB: 9000 }), "INSUFFICIENT_RESOURCES"],
    ["a taken name", spec({ name: "db" }), "CONFLICT"],
    [
      "a port published twice",
      spec({
        ports: [
          { hostPort: 9000, guestPort: 1, protocol: "tcp" },
          { hostPort: 9000, guestPort: 2, protocol: "tcp" },
        ],
      }),
      "VALIDATION",
    ],
    ["a port outside the range", spec({ ports: [{ hostPort: 80, guestPort: 80, protocol: "tcp" }] }), "VALIDATION"],
    ["Tandem's own port", spec({ ports: [{ hostPort: 3000, guestPort: 80, protocol: "tcp" }] }), "CONFLICT"],
    ["another container's port", spec({ ports: [{ hostPort: 8080, guestPort: 80, protocol: "tcp" }] }), "CONFLICT"],
    ["a relative workingDir", spec({ workingDir: "app" }), "VALIDATION"],
    ["a bad hostname", spec({ hostname: "-x-" }), "VALIDATION"],
  ])("refuses %s", (_what, body, code) => {
    expect(codeOf(() => validateCreate(body, rules, [other]))).toBe(code);
  });

  it("lets the same port number be published once per protocol", () => {
    const body = spec({ ports: [{ hostPort: 8080, guestPort: 53, protocol: "udp" }] });
    expect(codeOf(() => validateCreate(body, rules, [other]))).toBeUndefined();
  });
});

describe("validateLimits", () => {
  it("refuses CPU limits outside 0.1..host CPUs and memory above the host's", () => {
    expect(codeOf(() => validateLimits({ vcpus: 0.05 }, rules.host))).toBe("VALIDATION");
    expect(codeOf(() => validateLimits({ vcpus: 5 }, rules.host))).toBe("VALIDATION");
    expect(codeOf(() => validateLimits({ memoryMiB: 9000 }, rules.host))).toBe("VALIDATION");
    expect(codeOf(() => validateLimits({ vcpus: 0.5, memoryMiB: 128 }, rules.host))).toBeUndefined();
  });
});

describe("planning", () => {
  it("keeps the service's uuid when it looks like one", () => {
    expect(uuidFor(spec(), () => "fresh")).toBe("u-1");
    expect(uuidFor(spec({ uuid: "../x" }), () => "fresh")).toBe("fresh");
  });

  it("derives a hostname from the name when the body has none", () => {
    expect(hostnameFor(spec({ name: "my web_1" }))).toBe("my-web-1");
    expect(hostnameFor(spec({ hostname: "box" }))).toBe("box");
  });

  it("normalizes the image's StopSignal for crun kill", () => {
    expect(stopSignalOf(undefined)).toBe("TERM");
    expect(stopSignalOf("SIGQUIT")).toBe("QUIT");
    expect(stopSignalOf("sigrtmin+3")).toBe("RTMIN+3");
    expect(stopSignalOf("9")).toBe("9");
    expect(stopSignalOf("; rm -rf /")).toBe("TERM");
  });

  it("makes a first record that is `creating` with the body's settings and the image's", () => {
    const rec = planRecord(
      spec({ start: false, network: "none", ports: [{ hostPort: 8081, guestPort: 80, protocol: "tcp" }] }),
      {
        uuid: "u-1",
        id: "local.container.u-1",
        layers: {
          lowerDirs: ["/l2", "/l1"],
          config: { config: { ExposedPorts: { "80/tcp": {} }, StopSignal: "SIGINT" } },
        },
        diskGiB: 4,
        idRange: { start: 1 << 20, size: 65536 },
        now: "2024-01-01T00:00:00.000Z",
      },
    );
    expect(rec).toMatchObject({
      creating: true,
      desired: "stopped",
      image: "img",
      lowerDirs: ["/l2", "/l1"],
      network: { mode: "none", ip: null },
      ports: [{ hostPort: 8081, guestPort: 80, protocol: "tcp" }],
      exposedPorts: ["80/tcp"],
      stopSignal: "INT",
      restartPolicy: "no",
      diskGiB: 4,
    });
  });
});
