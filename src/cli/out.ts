// The --out directory: refuse to mix runs (another run's files are kept unless --force). Files in it
// are written with writeFileAtomic (src/node/fs.ts), so an interrupted run leaves no half files.

import { existsSync, mkdirSync, readdirSync } from "node:fs";
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

export function outPath(dir: string, file: string): string {
  return join(dir, file);
}
