// The tail of a VM's serial log (`<serial><log file=... append='off'/>`, written by virtlogd from
// power-on): what a console viewer that attaches late has missed, such as the boot banner.
// virtlogd rotates a log at its max_size into `<file>.0`, `<file>.1`, ...: when the current file
// is shorter than asked for, the newest rotated file supplies the rest.
import { constants } from "node:fs";
import { open } from "node:fs/promises";

/** Reads at most `maxBytes` from the end of a regular file; symlinks are refused (O_NOFOLLOW). */
async function tail(file: string, maxBytes: number): Promise<{ data: Buffer; cut: boolean } | null> {
  let fh;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ELOOP" || code === "EACCES") return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return null;
    const len = Math.min(st.size, maxBytes);
    const data = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(data, got, len - got, st.size - len + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { data: data.subarray(0, got), cut: st.size > len };
  } finally {
    await fh.close();
  }
}

/**
 * The last `maxBytes` the guest printed. When the read starts inside the log, the partial first
 * line is dropped (it may begin mid-character or mid-escape-sequence) unless it is all there is.
 */
export async function readConsoleLog(file: string, maxBytes: number): Promise<Uint8Array> {
  const cur = await tail(file, maxBytes);
  if (!cur) return new Uint8Array(0);
  let data = cur.data;
  let cut = cur.cut;
  if (!cut && data.length < maxBytes) {
    const prev = await tail(`${file}.0`, maxBytes - data.length);
    if (prev && prev.data.length) {
      data = Buffer.concat([prev.data, data]);
      cut = prev.cut;
    }
  }
  if (cut) {
    const nl = data.indexOf(0x0a);
    if (nl >= 0 && nl < data.length - 1) data = data.subarray(nl + 1);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
