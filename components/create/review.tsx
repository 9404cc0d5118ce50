// The last step: what will be created, in words.
import type { CreateGuestBody, Image } from "@/server/contract";
import { formatMiB } from "../ui/format";

export function Review({ body, image }: { body: CreateGuestBody; image: Image | undefined }) {
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
  rows.push(["Network", body.network ?? "default"]);
  if (body.kind === "vm") {
    if (body.cloudInit?.hostname) rows.push(["Hostname", body.cloudInit.hostname]);
    if (body.cloudInit?.user) rows.push(["User", body.cloudInit.user]);
    if (body.cloudInit?.sshKeys?.length) rows.push(["SSH keys", `${body.cloudInit.sshKeys.length}`]);
  } else {
    if (body.command?.length) rows.push(["Command", body.command.join(" ")]);
    if (body.env?.length) rows.push(["Environment", body.env.join(", ")]);
    if (body.ports?.length)
      rows.push(["Ports", body.ports.map((p) => `${p.hostPort}→${p.guestPort}/${p.protocol}`).join(", ")]);
  }
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
