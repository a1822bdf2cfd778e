// The --out directory: refuse to mix runs (another run's files are kept unless --force), and refuse
// a directory that cannot be created or written before any training, not after. Files in it are
// written with writeFileAtomic (src/node/fs.ts), so an interrupted run leaves no half files.

import { accessSync, constants, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError } from "../tensor/errors.js";
import { describeFsError, isFsError } from "./errors.js";

/** Files a forecast run writes into --out. */
export const RUN_FILES = ["forecast.csv", "metrics.json", "report.html", "model"];

/**
 * mkdir -p, one level at a time. Node's `mkdirSync(dir, { recursive: true })` never returns for a
 * path under /proc (it retries the ENOENT forever), so the parents are walked up by hand.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let d = resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(d);
    } catch (e) {
      if (isFsError(e) && (e.code === "ENOENT" || e.code === "ENOTDIR")) {
        const up = dirname(d);
        if (up === d) throw e;
        missing.push(d);
        d = up;
        continue;
      }
      throw e;
    }
    if (!st.isDirectory()) {
      throw new ConfigError(missing.length === 0
        ? `${dir} is a file, not a directory`
        : `cannot create the directory ${dir}: ${d} is a file, not a directory`);
    }
    break;
  }
  for (const m of missing.reverse()) mkdirSync(m);
}

/** An --out directory ready to write: created, writable, empty unless `force`. */
export function prepareOutDir(dir: string, force: boolean, option = "--out"): void {
  try {
    makeDirectory(dir);
    const present = readdirSync(dir);
    if (present.length > 0 && !force) {
      const shown = present.slice(0, 8).join(", ") + (present.length > 8 ? ", …" : "");
      throw new ConfigError(`${option} ${dir} already holds files (${shown}); choose an empty directory or pass --force to overwrite them`);
    }
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (isFsError(e)) throw new ConfigError(`${option} ${dir}: ${describeFsError(e)}`);
    if (e instanceof ConfigError && !e.message.startsWith(option)) {
      throw new ConfigError(e.message.startsWith(dir) ? `${option} ${e.message}` : `${option} ${dir}: ${e.message}`);
    }
    throw e;
  }
}

export function outPath(dir: string, file: string): string {
  return join(dir, file);
}
