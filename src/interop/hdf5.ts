// Read-only HDF5 access over jsfive (pure JavaScript, host-neutral), for the Keras importer: groups,
// attributes and float datasets by path. jsfive throws strings and bare TypeErrors on malformed or
// truncated files; every call here turns them into a ModelFormatError that names the file and path.

import { File, Dataset, Group } from "jsfive";
import { ModelFormatError, fmtShape } from "../tensor/errors.js";

/** A float dataset read as float32, with its shape and stored type. */
export interface H5Array {
  shape: number[];
  dtype: string;
  data: Float32Array;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]; // \x89HDF\r\n\x1a\n

/** True when the bytes start with the HDF5 signature (at offset 0: no user block). */
export function isHdf5(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** One HDF5 file opened from bytes. `what` names it in errors ("model.weights.h5 in model.keras"). */
export class Hdf5File {
  private constructor(private readonly file: File, readonly what: string, private readonly prefix: string) {}

  /** `prefix` starts every error message ("importKeras: "). */
  static open(bytes: Uint8Array, what: string, prefix = ""): Hdf5File {
    if (!isHdf5(bytes)) {
      throw new ModelFormatError(`${prefix}${what} is not an HDF5 file (it does not start with the HDF5 signature)`);
    }
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    try {
      return new Hdf5File(new File(buffer, what), what, prefix);
    } catch (e) {
      throw new ModelFormatError(`${prefix}${what} is corrupted or truncated: the HDF5 reader failed on its superblock (${describe(e)})`);
    }
  }

  private guard<T>(path: string, f: () => T, label?: string): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ModelFormatError) throw e;
      throw new ModelFormatError(`${label ? `${label}: ` : this.prefix}${this.what} is corrupted or truncated: reading "${path}" failed (${describe(e)})`);
    }
  }

  /** The object at path, or null when a component is missing ("" or "/" is the root). */
  private lookup(path: string): Group | Dataset | null {
    const parts = path.split("/").filter((p) => p.length > 0);
    let node: Group | Dataset | null = this.file;
    for (let i = 0; i < parts.length; i++) {
      if (!(node instanceof Group)) return null;
      const here: Group = node;
      const part = parts[i]!;
      const keys = this.guard(parts.slice(0, i).join("/") || "/", () => here.keys);
      if (!keys.includes(part)) return null;
      node = this.guard(parts.slice(0, i + 1).join("/"), () => here.get(part));
      if (node === null) return null;
    }
    return node;
  }

  /** True when a group exists at path. */
  hasGroup(path: string): boolean {
    return this.lookup(path) instanceof Group;
  }

  /** True when a dataset exists at path. */
  hasDataset(path: string): boolean {
    return this.lookup(path) instanceof Dataset;
  }

  /** Names of the members of the group at path ([] when there is no such group). */
  keys(path: string): string[] {
    const g = this.lookup(path);
    if (!(g instanceof Group)) return [];
    return this.guard(path, () => g.keys);
  }

  /** Attributes of the group or dataset at path ({} when there is none). */
  attrs(path: string): Record<string, unknown> {
    const o = this.lookup(path);
    if (!o) return {};
    return this.guard(path, () => o.attrs ?? {});
  }

  /** A float dataset (f2/f4/f8) as float32; `label` names it in errors. */
  readFloat(path: string, label: string): H5Array {
    const d = this.lookup(path);
    if (!(d instanceof Dataset)) throw new ModelFormatError(`${label}: ${this.what} has no dataset "${path}"`);
    return this.guard(path, () => {
      const shape = [...d.shape];
      const dtype = String(d.dtype);
      if (!/^[<>|=]?f[248]$/.test(dtype)) {
        throw new ModelFormatError(`${label}: dataset "${path}" in ${this.what} holds ${dtype} values; weights must be floating point`);
      }
      const value = d.value;
      const n = shape.reduce((a, b) => a * b, 1);
      if (!value || value.length !== n) {
        throw new ModelFormatError(`${label}: dataset "${path}" in ${this.what} has shape ${fmtShape(shape)} but ${value ? value.length : 0} values: the file is truncated or corrupted`);
      }
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = Number(value[i]);
      return { shape, dtype, data };
    }, label);
  }
}
