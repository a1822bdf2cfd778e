// Node's file system behind the FileSystem port: the one module of the library that touches
// node:fs, and the one atomic-write routine every file the library writes goes through.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import type { FileSystem } from "../io/fs.js";

let tempCounter = 0;

/**
 * Temporary files are named `<file>.tmp-<pid>-<n>` beside their target: the writer's process id
 * says whether the write can still be in progress (the CLI's error messages strip the suffix).
 */
export const TEMP_NAME = /^(.+)\.tmp-(\d+)-(\d+)$/;
/** A temporary file older than this is stale whatever its pid says (pids are reused; other hosts). */
export const STALE_TEMP_MS = 15 * 60 * 1000;

/** The temporary file name for a write to `path` by this process. */
export function tempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${tempCounter++}`;
}

/** The file a temporary file was going to become (`a.json.tmp-12-3` → `a.json`); other paths unchanged. */
export function targetOfTemp(path: string): string {
  const m = TEMP_NAME.exec(path);
  return m ? m[1]! : path;
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

/**
 * Remove stale temporary files of atomic writes in `dir`: those whose writing process is gone
 * (killed during a write) and those older than STALE_TEMP_MS. A live writer's file is left alone.
 * Returns the names removed. Best effort: a directory that cannot be listed is skipped.
 */
export function sweepTemporaries(dir: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    let stale = !processAlive(Number(m[2]));
    if (!stale) {
      try {
        stale = now - statSync(file).mtimeMs > STALE_TEMP_MS;
      } catch {
        continue; // gone already
      }
    }
    if (!stale) continue;
    try {
      rmSync(file, { force: true });
      removed.push(name);
    } catch {
      // another sweeper, or no permission: not this write's business
    }
  }
  return removed;
}

const lastSweep = new Map<string, number>();
/** Sweep a directory on this process's first write into it, then at most once a minute (csvLogger writes every epoch). */
const SWEEP_EVERY_MS = 60 * 1000;

function sweepOccasionally(dir: string): void {
  const now = Date.now();
  const last = lastSweep.get(dir);
  if (last !== undefined && now - last < SWEEP_EVERY_MS) return;
  if (lastSweep.size > 1000) lastSweep.clear();
  lastSweep.set(dir, now);
  sweepTemporaries(dir, now);
}

/**
 * Write to a temporary file beside `path`, fsync it, then rename it over `path` (atomic on one
 * file system), so a crash or a full disk never leaves a half-written file under the real name.
 * On failure the temporary file is removed and the previous file is untouched. Temporary files a
 * killed process left in the same directory are swept first.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  sweepOccasionally(dirname(path));
  const tmp = tempPath(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, "wx");
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // the write already failed; that error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dirname(path));
}

/** Make the rename itself durable. Windows cannot open a directory; the rename stands there anyway. */
function syncDirectory(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // best effort: the file's content is already synced and in place
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

function packageDir(name: string): string {
  // Packages' "exports" maps may hide their package.json, so walk up from the resolved entry.
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name === name) return dir;
    } catch {
      // no package.json at this level
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the root directory of package "${name}"`);
    dir = up;
  }
}

/**
 * A file's bytes, `chunkBytes` at a time, through one open descriptor that is closed when the
 * iteration ends, fails or is abandoned. Each chunk is a fresh Buffer (csv-parse keeps the tail
 * of a chunk across calls, so a reused buffer would corrupt it).
 */
function* readChunks(path: string, chunkBytes: number): Generator<Uint8Array> {
  const size = Number.isInteger(chunkBytes) && chunkBytes > 0 ? chunkBytes : 1 << 20;
  const fd = openSync(path, "r");
  try {
    for (;;) {
      const buf = Buffer.allocUnsafe(size);
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) return;
      yield n === size ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

export const nodeFileSystem: FileSystem = {
  readText: (path) => readFileSync(path, "utf8"),
  readBytes: (path) => new Uint8Array(readFileSync(path)),
  readChunks,
  exists: (path) => existsSync(path),
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true }),
  writeAtomic: writeFileAtomic,
  remove: (path) => rmSync(path, { force: true }),
  list: (dir) => readdirSync(dir),
  join: (...parts) => join(...parts),
  dirname: (path) => dirname(path),
  basename: (path) => basename(path),
  resolve: (path, base) => (base === undefined ? resolve(path) : resolve(base, path)),
  packageDir,
};
