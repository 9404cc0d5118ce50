// The create form as the user edits it (strings in inputs), how it becomes a CreateGuestBody,
// and where each validation message belongs. Validation is the server's own zod schema.
import type { z } from "zod";
import { BindMount, CreateGuestBody, NewDisk, VolumeMount, type GuestKind, type HostInfo } from "@/server/contract";

export type PortDraft = { hostPort: string; guestPort: string; protocol: "tcp" | "udp" };
/** A host directory bound into a container (only under the roots an admin allow-listed). */
export type BindDraft = { hostPath: string; path: string; readOnly: boolean };
/** A NIC on a Tandem network (by name); an empty address means DHCP / Tandem picks one. */
export type NicDraft = { network: string; address: string };
/** An extra VM disk: a new volume of this size in this pool ("" = the default pool), or an existing one. */
export type DiskDraft = { source: "new" | "existing"; sizeGiB: string; pool: string; volume: string };
/** A container volume: an existing one by name, or a new one the wizard makes first. */
export type VolumeDraft = {
  source: "existing" | "new";
  volume: string;
  sizeGiB: string;
  path: string;
  readOnly: boolean;
};

export type Draft = {
  kind: GuestKind;
  name: string;
  image: string;
  vcpus: string;
  memoryMiB: string;
  diskGiB: string;
  network: "" | "user" | "isolated" | "none";
  start: boolean;
  tags: string[];
  ciHostname: string;
  ciUser: string;
  ciPassword: string;
  ciSshKeys: string;
  command: string;
  env: string;
  ports: PortDraft[];
  workingDir: string;
  restartPolicy: "" | "no" | "on-failure" | "always";
  nics: NicDraft[];
  disks: DiskDraft[];
  volumes: VolumeDraft[];
  binds: BindDraft[];
};

export function defaultDraft(kind: GuestKind): Draft {
  const suffix = Math.random().toString(36).slice(2, 6);
  return {
    kind,
    name: `${kind === "vm" ? "vm" : "ct"}-${suffix}`,
    image: "",
    vcpus: "1",
    memoryMiB: kind === "vm" ? "512" : "256",
    diskGiB: kind === "vm" ? "8" : "",
    network: "",
    start: true,
    tags: [],
    ciHostname: "",
    ciUser: "",
    ciPassword: "",
    ciSshKeys: "",
    command: "",
    env: "",
    ports: [],
    workingDir: "",
    restartPolicy: "",
    nics: [],
    disks: [],
    volumes: [],
    binds: [],
  };
}

/** Splits a command line into words, honouring single and double quotes and backslashes. */
export function splitCommand(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

const num = (s: string) => (s.trim() === "" ? undefined : Number(s));
const opt = (s: string) => (s.trim() === "" ? undefined : s.trim());
const lines = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** The request body as the server will read it (not yet validated). */
export function toBody(d: Draft): Record<string, unknown> {
  const common = {
    kind: d.kind,
    name: d.name.trim(),
    image: d.image,
    vcpus: num(d.vcpus),
    memoryMiB: num(d.memoryMiB),
    diskGiB: num(d.diskGiB),
    network: d.nics.length ? undefined : d.network || undefined,
    nics: d.nics.length ? d.nics.map((n) => ({ network: n.network, address: opt(n.address) })) : undefined,
    // With nics: forwards to the first NIC (both kinds); a container without: published ports.
    ports: d.ports.length
      ? d.ports.map((p) => ({ hostPort: num(p.hostPort), guestPort: num(p.guestPort), protocol: p.protocol }))
      : undefined,
    start: d.start,
    tags: d.tags.length ? d.tags : undefined,
  };
  if (d.kind === "vm") {
    const ci = {
      hostname: opt(d.ciHostname),
      user: opt(d.ciUser),
      password: d.ciPassword || undefined,
      sshKeys: lines(d.ciSshKeys).length ? lines(d.ciSshKeys) : undefined,
    };
    return {
      ...common,
      cloudInit: Object.values(ci).some((v) => v !== undefined) ? ci : undefined,
      disks: d.disks.length
        ? d.disks.map((x) =>
            x.source === "existing" ? { volume: x.volume } : { sizeGiB: num(x.sizeGiB), pool: opt(x.pool) },
          )
        : undefined,
    };
  }
  const command = splitCommand(d.command);
  return {
    ...common,
    command: command.length ? command : undefined,
    env: lines(d.env).length ? lines(d.env) : undefined,
    workingDir: opt(d.workingDir),
    restartPolicy: d.restartPolicy || undefined,
    volumes: d.volumes.length
      ? d.volumes.map((v) => ({ volume: v.volume.trim(), path: v.path.trim(), readOnly: v.readOnly || undefined }))
      : undefined,
    binds: d.binds.length
      ? d.binds.map((b) => ({ hostPath: b.hostPath.trim(), path: b.path.trim(), readOnly: b.readOnly || undefined }))
      : undefined,
  };
}

/** The volumes the wizard creates before the guest: those marked new (name and size). */
export function newVolumes(d: Draft): { name: string; sizeGiB: number }[] {
  if (d.kind !== "container") return [];
  return d.volumes
    .filter((v) => v.source === "new")
    .map((v) => ({ name: v.volume.trim(), sizeGiB: Number(v.sizeGiB) }));
}

export type Errors = Partial<Record<string, string>>;

/** What each of the wizard's field groups is given: the draft, its setter and the errors. */
export type FieldsProps = { draft: Draft; set: <K extends keyof Draft>(k: K, v: Draft[K]) => void; errors: Errors };

/**
 * Field key of an issue path: "name", "vcpus", "cloudInit.user", "env", "ports.0.hostPort",
 * "nics.1.network", "disks.0.sizeGiB", "volumes.0.path".
 */
function fieldOf(path: PropertyKey[]): string {
  const [a, b, c] = path.map(String);
  if (a === "cloudInit") return `cloudInit.${b ?? ""}`;
  if (["ports", "nics", "disks", "volumes", "binds"].includes(a ?? "") && b !== undefined)
    return `${a}.${b}.${c ?? ""}`;
  return a ?? "";
}

/**
 * Disks and volumes checked with their own contract shapes, item by item, so each row gets its
 * message (and so they are sent even where the create body's schema does not list them yet).
 */
function checkItems(d: Draft, errors: Errors): { disks?: NewDisk[]; volumes?: VolumeMount[]; binds?: BindMount[] } {
  const body = toBody(d);
  function each<T>(key: "disks" | "volumes" | "binds", schema: z.ZodType<T>): T[] | undefined {
    const items = body[key] as unknown[] | undefined;
    if (!items) return undefined;
    return items.flatMap((item, i) => {
      const r = schema.safeParse(item);
      if (r.success) return [r.data];
      for (const issue of r.error.issues) errors[`${key}.${i}.${String(issue.path[0] ?? "")}`] ??= issue.message;
      return [];
    });
  }
  if (d.kind === "container")
    d.volumes.forEach((v, i) => {
      if (v.source === "new" && !(Number(v.sizeGiB) >= 1)) errors[`volumes.${i}.sizeGiB`] ??= "size is at least 1 GiB";
    });
  return { disks: each("disks", NewDisk), volumes: each("volumes", VolumeMount), binds: each("binds", BindMount) };
}

export function validate(d: Draft, host: HostInfo | null): { body: CreateGuestBody | null; errors: Errors } {
  const errors: Errors = {};
  const r = CreateGuestBody.safeParse(toBody(d));
  if (!r.success) {
    for (const i of r.error.issues) {
      const f = fieldOf(i.path);
      errors[f] ??= i.path[0] === "env" ? `line ${Number(i.path[1]) + 1}: ${i.message}` : i.message;
    }
  }
  const items = checkItems(d, errors);
  if (!d.image) errors.image = "pick an image";
  if (host) {
    const v = Number(d.vcpus);
    if (v > host.cpus) errors.vcpus ??= `the host has ${host.cpus} CPUs`;
    const m = Number(d.memoryMiB) * 1024 * 1024;
    if (m > host.memoryBytes) errors.memoryMiB ??= "more than the host's memory";
    const g = Number(d.diskGiB) * 1024 ** 3;
    if (g > host.diskFreeBytes) errors.diskGiB ??= "more than the free disk space";
  }
  const ok = r.success && Object.keys(errors).length === 0;
  return { body: ok ? ({ ...r.data, ...definedOnly(items) } as CreateGuestBody) : null, errors };
}

const definedOnly = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export const steps = ["Source", "Resources", "Configure", "Review"] as const;
export type Step = (typeof steps)[number];

/** Which fields each step owns, so a step's Next checks only its own. */
export function stepOf(field: string): Step {
  if (field === "kind" || field === "name" || field === "image") return "Source";
  if (["vcpus", "memoryMiB", "diskGiB", "network", "nics"].includes(field)) return "Resources";
  if (/^(nics|disks|volumes|binds)(\.|$)/.test(field)) return "Resources";
  return "Configure";
}
