// The part of jsfive (a pure-JavaScript HDF5 reader, no bundled types) that src/interop/hdf5.ts uses.
// jsfive throws strings and plain TypeErrors on malformed files; hdf5.ts wraps every call.

declare module "jsfive" {
  export class Group {
    readonly name: string;
    /** Names of the links (groups and datasets) in this group. */
    readonly keys: string[];
    /** Attributes: strings, numbers, arrays of them. */
    readonly attrs: Record<string, unknown>;
    /** A member by relative or absolute path; throws a string when a component is missing. */
    get(path: string): Group | Dataset | null;
  }

  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename?: string);
  }

  export class Dataset {
    readonly name: string;
    readonly shape: number[];
    /** numpy-style type string, e.g. "<f4", "<f8", "<i8". */
    readonly dtype: string | unknown;
    readonly attrs: Record<string, unknown>;
    /** The elements in row-major order. */
    readonly value: ArrayLike<number | bigint>;
  }
}
