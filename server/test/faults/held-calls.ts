// Holds one driver call for the fault tests, so a test can kill Tandem at a known step of a task
// that runs no host tool the rig could hold (a delete's stop, a snapshot revert). The child
// process (child-main.ts) wraps its real drivers: the first call of the named method whose first
// string argument after the guest id matches (when one is given) writes a marker file and never
// returns; the test waits for the marker and kills the process. Without TANDEM_FAULT_HOLD_CALL
// the drivers are returned as they are.
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { GuestDriver } from "../../domain/driver";

/** `method` or `method:arg`, e.g. `act:stop`, `revertSnapshot`. */
export const HOLD_CALL_ENV = "TANDEM_FAULT_HOLD_CALL";
export const HOLD_DIR_ENV = "TANDEM_FAULT_HOLD_DIR";
export const HELD_CALL_FILE = "held-call";

export function holdingDrivers(drivers: GuestDriver[], env = process.env): GuestDriver[] {
  const spec = env[HOLD_CALL_ENV];
  const dir = env[HOLD_DIR_ENV];
  if (!spec || !dir) return drivers;
  const [method, arg] = spec.split(":");
  let held = false;
  return drivers.map(
    (d) =>
      new Proxy(d, {
        get(target, prop, receiver) {
          const v: unknown = Reflect.get(target, prop, receiver);
          if (typeof v !== "function") return v;
          const fn = v as (...a: unknown[]) => unknown;
          if (prop !== method) return fn.bind(target);
          return (...args: unknown[]) => {
            if (!held && (arg === undefined || args[1] === arg)) {
              held = true;
              writeFileSync(path.join(dir, HELD_CALL_FILE), `${String(prop)} ${String(args[0])}\n`);
              return new Promise(() => {});
            }
            return fn.apply(target, args);
          };
        },
      }),
  );
}
