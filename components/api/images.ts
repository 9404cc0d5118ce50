// The image library: list, delete, and upload with progress (XMLHttpRequest, because fetch
// cannot report upload progress).
import type { z } from "zod";
import { ImageList, ImageResponse, type Image, type UploadImageQuery } from "@/server/contract";
import { api, apiParsed, apiPath, errorFromBody, getCsrfToken, withQuery, ApiError } from "./client";

export const listImages = async () => (await apiParsed(ImageList, "GET", "/api/v1/images")).images;
export const deleteImage = (id: string) => api<void>("DELETE", apiPath`/api/v1/images/${id}`);

export type UploadProgress = { loaded: number; total: number };

export function uploadImage(
  file: Blob,
  query: z.input<typeof UploadImageQuery>,
  onProgress: (p: UploadProgress) => void,
  signal?: AbortSignal,
): Promise<Image> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", withQuery("/api/v1/images", query));
    xhr.setRequestHeader("content-type", "application/octet-stream");
    const csrf = getCsrfToken();
    if (csrf) xhr.setRequestHeader("x-csrf-token", csrf);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress({ loaded: e.loaded, total: e.lengthComputable ? e.total : file.size });
    xhr.onload = () => {
      const body: unknown = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300) {
        const r = ImageResponse.safeParse(body);
        if (r.success) resolve(r.data.image);
        else reject(new ApiError(0, "BAD_RESPONSE", "unexpected answer to the upload"));
      } else reject(errorFromBody(xhr.status, xhr.statusText, body));
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "the upload was interrupted"));
    xhr.onabort = () => reject(new ApiError(0, "ABORTED", "upload cancelled"));
    signal?.addEventListener("abort", () => xhr.abort());
    xhr.send(file);
  });
}
