// The file-system port: every file the library reads or writes goes through the FileSystem
// installed here, so the core never imports a host module and loads unchanged in a browser.

import { ConfigError } from "../tensor/errors.js";

/** What the library needs from a host's files. Paths are the host's own (POSIX or Windows). */
export interface FileSystem {
  readText(path: string): string;
  readBytes(path: string): Uint8Array;
  /**
   * The file's bytes in order, at most `chunkBytes` at a time, so a large file can be parsed
   * without holding it whole (the CSV reader uses it when present). Each chunk is a new array
   * the caller may keep. Optional: a host without it is read with `readText`.
   */
  readChunks?(path: string, chunkBytes: number): Iterable<Uint8Array>;
  exists(path: string): boolean;
  /** Create a directory and its parents; no error when it exists. */
  mkdirp(dir: string): void;
  /**
   * Replace a file's content all at once: a reader sees the old content or the new, never a mix,
   * and a write that fails leaves the old content and no temporary file behind.
   */
  writeAtomic(path: string, data: string | Uint8Array): void;
  /** Remove a file; no error when it is already gone. */
  remove(path: string): void;
  /**
   * Names of the entries in a directory. Optional: with it, a save also removes weight files that
   * a save killed part-way left behind; without it they stay until removed by hand.
   */
  list?(dir: string): string[];
  join(...parts: string[]): string;
  dirname(path: string): string;
  basename(path: string): string;
  /** An absolute path: `path` resolved against `base` (the working directory when omitted). */
  resolve(path: string, base?: string): string;
  /** Root directory of an installed package (the report inlines vega; the CLI reads vega-datasets). */
  packageDir(name: string): string;
}

let installed: FileSystem | null = null;

/** Install the file system the library uses (the Node entry installs Node's; a page may install its own). */
export function useFileSystem(fs: FileSystem | null): void {
  installed = fs;
}

/** The installed file system; `what` names the operation in the error when there is none. */
export function fileSystem(what: string): FileSystem {
  if (!installed) {
    throw new ConfigError(`${what}: no file system here. In Node, import the "recurrent" package entry, which installs Node's; in a browser, pass one to useFileSystem() or keep data in memory (parseCsv, getWeights/setWeights)`);
  }
  return installed;
}
