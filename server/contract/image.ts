// The image library as seen over the API.
import { z } from "zod";
import { GuestKind } from "./guest";

export const imageFormats = ["demo-kernel", "qcow2", "raw", "iso", "oci"] as const;
export const ImageFormat = z.enum(imageFormats);

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
  format: z.enum(["qcow2", "raw", "iso", "oci", "docker-archive"]),
});
