// /proc/net/dev as the metrics sample reads it: every interface's counters from one file, seen
// from the container's side of a host veth (the host's transmit is the container's receive).
import { describe, expect, it } from "vitest";
import { parseNetDev } from "./stats";

const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0
vtdm0a1b2c3d: 1000 10 0 0 0 0 0 0 2500 20 0 0 0 0 0 0
eth0:77 1 0 0 0 0 0 0 88 1 0 0 0 0 0 0
`;

describe("parseNetDev", () => {
  it("reads every interface, receive and transmit swapped to the container's view", () => {
    const m = parseNetDev(NET_DEV);
    expect([...m.keys()]).toEqual(["lo", "vtdm0a1b2c3d", "eth0"]);
    expect(m.get("vtdm0a1b2c3d")).toEqual({ rx: 2500, tx: 1000 });
    expect(m.get("eth0")).toEqual({ rx: 88, tx: 77 });
  });

  it("skips the headers and short lines", () => {
    expect(parseNetDev("Inter-| Receive\n face |bytes\nbad: 1 2\n").size).toBe(0);
  });
});
