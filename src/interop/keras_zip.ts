// The .keras container: a zip archive, unzipped with fflate, whose entries are then checked against
// the CRC-32 their central-directory records carry (fflate does not check them), so a corrupted
// model.weights.h5 is refused instead of loading altered weights.

import { unzipSync } from "fflate";
import { ModelFormatError } from "../tensor/errors.js";

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as zip uses). */
export function zipCrc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Entry name → CRC-32 from the central directory; null when it cannot be read (e.g. zip64), leaving the check to fflate. */
function centralCrcs(bytes: Uint8Array): Map<string, number> | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stop = Math.max(0, bytes.length - 22 - 0xffff);
  let e = -1;
  for (let i = bytes.length - 22; i >= stop; i--) {
    if (v.getUint32(i, true) === EOCD) {
      e = i;
      break;
    }
  }
  if (e < 0) return null;
  const count = v.getUint16(e + 10, true);
  let p = v.getUint32(e + 16, true);
  if (count === 0xffff || p === 0xffffffff) return null;
  const out = new Map<string, number>();
  const dec = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || v.getUint32(p, true) !== CENTRAL) return null;
    const crc = v.getUint32(p + 16, true);
    const nameLen = v.getUint16(p + 28, true), extraLen = v.getUint16(p + 30, true), commentLen = v.getUint16(p + 32, true);
    out.set(dec.decode(bytes.subarray(p + 46, p + 46 + nameLen)), crc);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The entries of a .keras archive, each checked against its CRC-32. `file` names it in errors. */
export function unzipKeras(bytes: Uint8Array, file: string): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (e) {
    throw new ModelFormatError(`importKeras: ${file} is a corrupted or truncated zip archive (${(e as Error).message})`);
  }
  const crcs = centralCrcs(bytes);
  if (crcs) {
    for (const [name, data] of Object.entries(entries)) {
      const want = crcs.get(name);
      if (want === undefined) continue;
      const got = zipCrc32(data);
      if (got !== want) {
        throw new ModelFormatError(`importKeras: ${file} is corrupted: entry ${name} has checksum ${got.toString(16).padStart(8, "0")}, the archive records ${want.toString(16).padStart(8, "0")}`);
      }
    }
  }
  return entries;
}
