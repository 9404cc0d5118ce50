// How both transports (REST and socket.io) word a refused input: zod's issues as one sentence.
import type { z } from "zod";

/** Turns zod issues into one readable sentence: "vcpus: must be at least 1; name: required". */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}
