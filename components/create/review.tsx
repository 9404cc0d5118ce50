// The last step: what will be created, in words.
import type { BindMount, CreateGuestBody, Image, NewDisk, VolumeMount } from "@/server/contract";
import { formatMiB } from "../ui/format";

export function Review({
  body,
  image,
  newNames = [],
}: {
  body: CreateGuestBody;
  image: Image | undefined;
  /** Volumes the wizard makes before the guest. */
  newNames?: string[];
}) {
  // disks / volumes: read whether or not the create body's schema lists them yet.
  const extra = body as { disks?: NewDisk[]; volumes?: VolumeMount[]; binds?: BindMount[] };
  const rows: [string, string][] = [
    ["Kind", body.kind === "vm" ? "Virtual machine" : "Container"],
    ["Name", body.name],
    ["Image", image?.name ?? body.image],
    [
      body.kind === "vm" ? "vCPUs" : "CPU limit",
      body.kind === "vm" ? String(body.vcpus) : `${body.vcpus} core${body.vcpus === 1 ? "" : "s"}`,
    ],
    ["Memory", formatMiB(body.memoryMiB)],
  ];
  if (body.diskGiB) rows.push(["Disk", `${body.diskGiB} GiB`]);
  if (body.nics?.length)
    rows.push([
      "NICs",
      body.nics.map((n, i) => `${i + 1}: ${n.network} (${n.address ?? "automatic address"})`).join("; "),
    ]);
  else rows.push(["Network", body.network ?? "default"]);
  if (body.kind === "vm") {
    if (body.cloudInit?.hostname) rows.push(["Hostname", body.cloudInit.hostname]);
    if (body.cloudInit?.user) rows.push(["User", body.cloudInit.user]);
    if (body.cloudInit?.sshKeys?.length) rows.push(["SSH keys", `${body.cloudInit.sshKeys.length}`]);
    if (extra.disks?.length)
      rows.push([
        "Extra disks",
        extra.disks
          .map((d) => ("sizeGiB" in d ? `${d.sizeGiB} GiB in ${d.pool ?? "the default pool"}` : d.volume))
          .join("; "),
      ]);
  } else {
    if (body.command?.length) rows.push(["Command", body.command.join(" ")]);
    if (body.env?.length) rows.push(["Environment", body.env.join(", ")]);
    if (extra.volumes?.length)
      rows.push([
        "Volumes",
        extra.volumes
          .map(
            (v) =>
              `${v.volume}${newNames.includes(v.volume) ? " (new)" : ""} at ${v.path}${v.readOnly ? " (read-only)" : ""}`,
          )
          .join("; "),
      ]);
  }
  if (extra.binds?.length)
    rows.push([
      "Bind mounts",
      extra.binds.map((b) => `${b.hostPath} at ${b.path}${b.readOnly ? " (read-only)" : ""}`).join("; "),
    ]);
  if (body.ports?.length)
    rows.push([
      body.nics?.length ? "Port forwards" : "Ports",
      body.ports.map((p) => `${p.hostPort}→${p.guestPort}/${p.protocol}`).join(", "),
    ]);
  if (body.tags?.length) rows.push(["Tags", body.tags.join(", ")]);
  rows.push(["Start", body.start === false ? "no" : "right away"]);
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1.5 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="muted">{k}</dt>
          <dd className="break-all">{v}</dd>
        </div>
      ))}
    </dl>
  );
}
