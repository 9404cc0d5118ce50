// A limit a user meets at scale: the container subnet's last free address. The create after it
// is refused with INSUFFICIENT_RESOURCES naming the subnet and the setting that enlarges it, and
// leaves nothing behind; the containers made before it keep running. Against real conmon + crun,
// on a /29 (5 addresses) instead of the 253 of the default /24.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerDriver } from "../oci/driver";
import { HAVE_BACKEND, makeEnv, type TestEnv } from "./support";

describe.skipIf(!HAVE_BACKEND)("container subnet full (conmon + crun)", () => {
  let env: TestEnv;
  let d: ContainerDriver;

  beforeAll(async () => {
    env = makeEnv();
    // The env's first driver has made nothing yet (the bridge comes with the first create).
    await env.driver.close();
    env.opts.subnet = env.opts.subnet!.replace(/\/24$/, "/29");
    d = env.newDriver();
  });

  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
  });

  it("refuses the create past the last address, clearly, and leaves nothing behind", async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await d.create(env.spec({ command: ["sleep", "1000"] }), () => {}));
    await expect(d.create(env.spec({ command: ["sleep", "1000"] }), () => {})).rejects.toMatchObject({
      code: "INSUFFICIENT_RESOURCES",
      message: expect.stringMatching(/\/29 has no free address left: all 5 are in use \(TANDEM_CONTAINER_SUBNET/),
    });
    const listed = await d.list();
    expect(listed.map((g) => g.id).sort()).toEqual(made.map((g) => g.id).sort());
    expect(listed.every((g) => g.state === "running")).toBe(true);
    for (const g of made) await d.remove(g.id, { purgeDisks: true });
  });
});
