// Helper process for survive.int.test.ts: creates one container with the given options, prints
// its id and exits — a Tandem that goes away while its container keeps running.
import { ContainerDriver, type ContainerDriverOptions } from "../oci/driver";
import type { GuestSpec } from "../../../domain/driver";

const { opts, spec } = JSON.parse(process.argv[2]!) as { opts: ContainerDriverOptions; spec: GuestSpec };
const d = new ContainerDriver(opts);
const g = await d.create(spec, () => {});
process.stdout.write(`${JSON.stringify({ id: g.id, state: g.state })}\n`);
// No close(): simulate a crash as closely as a clean exit allows.
process.exit(0);
