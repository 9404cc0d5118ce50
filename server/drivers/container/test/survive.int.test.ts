// conmon outlives Tandem: a separate Node process creates a container and exits; this process
// (a "restarted Tandem") finds it running, attaches to its console and cleans it up.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAVE_BACKEND, makeEnv, waitForOutput, type TestEnv } from "./support";

describe.skipIf(!HAVE_BACKEND)("containers survive Tandem's process", () => {
  let env: TestEnv;
  beforeAll(() => {
    env = makeEnv();
  });
  afterAll(async () => {
    expect(await env.cleanup()).toEqual([]);
  });

  it("keeps running after the creating process exits and is re-adopted", async () => {
    const spec = env.spec({ command: ["sh"] });
    const tsx = path.resolve(import.meta.dirname, "../../../../node_modules/.bin/tsx");
    const out = execFileSync(
      tsx,
      [path.join(import.meta.dirname, "create-and-exit.ts"), JSON.stringify({ opts: env.opts, spec })],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const { id, state } = JSON.parse(out.trim().split("\n").pop()!) as { id: string; state: string };
    expect(state).toBe("running");
    const fresh = env.newDriver();
    const g = await fresh.get(id);
    expect(g.state).toBe("running");
    const c = await fresh.openConsole(id, { rows: 24, cols: 80 });
    c.write(Buffer.from("echo still-here-$((3*3))\n"));
    await waitForOutput(c, /still-here-9/);
    c.close();
    await fresh.remove(id, { purgeDisks: true });
  });
});
