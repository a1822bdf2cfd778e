// The --out directory: refuse to mix runs (another run's files are kept unless --force), write
// files under temporary names and rename them, so an interrupted run leaves no half files.

import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../tensor/errors.js";

/** Files a forecast run writes into --out. */
export const RUN_FILES = ["forecast.csv", "metrics.json", "report.html", "model"];

export function prepareOutDir(dir: string, force: boolean): void {
  if (existsSync(dir)) {
    const present = readdirSync(dir);
    if (present.length > 0 && !force) {
      const shown = present.slice(0, 8).join(", ") + (present.length > 8 ? ", …" : "");
      throw new ConfigError(`--out ${dir} already holds files (${shown}); choose an empty directory or pass --force to overwrite them`);
    }
  }
  mkdirSync(dir, { recursive: true });
}

export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

export function outPath(dir: string, file: string): string {
  return join(dir, file);
}
