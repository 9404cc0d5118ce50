// The image library as seen over the API.
import { z } from "zod";
import { GuestKind } from "./guest";

/** VM disk formats the VM backend checks (disk-inspect) and boots from. */
export const diskFormats = ["qcow2", "raw", "iso"] as const;
export type DiskFormat = (typeof diskFormats)[number];
/** What may be uploaded: a VM disk, or a container image as an OCI layout or `docker save` archive. */
export const uploadFormats = [...diskFormats, "oci", "docker-archive"] as const;
export type UploadFormat = (typeof uploadFormats)[number];
/** Which kind of guest each uploadable format is for; an upload must declare the matching kind. */
export const uploadFormatKind = {
  qcow2: "vm",
  raw: "vm",
  iso: "vm",
  oci: "container",
  "docker-archive": "container",
} as const satisfies Record<UploadFormat, GuestKind>;
/** What the catalog holds: uploads are stored as disks or unpacked OCI; the demo VM is a kernel+initrd+disk. */
export const imageFormats = ["demo-kernel", ...diskFormats, "oci"] as const;
export const ImageFormat = z.enum(imageFormats);
export type ImageFormat = z.infer<typeof ImageFormat>;

export const Image = z.object({
  id: z.string(),
  name: z.string(),
  kind: GuestKind,
  format: ImageFormat,
  sizeBytes: z.number(),
  source: z.string(),
  createdAt: z.string(),
});
export type Image = z.infer<typeof Image>;

export const ImageName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$/, "image names may contain letters, digits, '.', '_', ':' and '-'");

/** Query of POST /api/v1/images; the body is the file itself (application/octet-stream). */
export const UploadImageQuery = z.object({
  name: ImageName,
  kind: GuestKind,
  format: z.enum(uploadFormats),
});
