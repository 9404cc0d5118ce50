// Error predicates and constants of the loader; no daemon and no addon load needed.
import { describe, expect, it } from "vitest";
import {
  ErrorCode,
  ErrorDomain,
  LibvirtError,
  domainEventName,
  domainStateName,
  formatVersion,
  isConnectionError,
  isLibvirtError,
  isNoDomain,
  isOperationInvalid,
} from "../index";

describe("LibvirtError", () => {
  it("carries libvirt's numbers and names them", () => {
    const e = new LibvirtError(ErrorCode.NO_DOMAIN, ErrorDomain.QEMU, "Domain not found");
    expect(e).toBeInstanceOf(Error);
    expect(isLibvirtError(e)).toBe(true);
    expect(e.name).toBe("LibvirtError");
    expect(e.codeName).toBe("NO_DOMAIN");
    expect(e.domainName).toBe("QEMU");
    expect(isNoDomain(e)).toBe(true);
    expect(isNoDomain(new Error("Domain not found"))).toBe(false);
    expect(isOperationInvalid(new LibvirtError(ErrorCode.OPERATION_INVALID, 10, "not running"))).toBe(true);
    expect(new LibvirtError(-1, 0, "open failed").codeName).toBe("SYSTEM");
  });

  it("tells a lost connection from a file error with the same code", () => {
    expect(isConnectionError(new LibvirtError(ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, "End of file"))).toBe(true);
    expect(isConnectionError(new LibvirtError(ErrorCode.SYSTEM_ERROR, ErrorDomain.QEMU, "Cannot access"))).toBe(false);
    expect(isConnectionError(new LibvirtError(ErrorCode.NO_CONNECT, ErrorDomain.REMOTE, "no connection"))).toBe(true);
    expect(isConnectionError(new Error("connection is closed"))).toBe(true);
    expect(isConnectionError(new Error("other"))).toBe(false);
  });

  it("names states, events and versions", () => {
    expect(domainStateName(1)).toBe("running");
    expect(domainStateName(5)).toBe("shutoff");
    expect(domainStateName(99)).toBe("nostate");
    expect(domainEventName(2)).toBe("started");
    expect(domainEventName(99)).toBe("unknown");
    expect(formatVersion(7002022)).toBe("7.2.22");
  });
});
