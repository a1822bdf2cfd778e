// The example data shipped inside the package (data/ at its root; see data/README.md for each
// file's source and licence), so `recurrent forecast` with no CSV and the examples need no other
// package at run time.

import { ConfigError } from "../tensor/errors.js";

/** CSV files in data/. */
export const BUNDLED_FILES = ["weather.csv", "sp500-2000.csv", "stocks.csv"] as const;
export type BundledFile = (typeof BUNDLED_FILES)[number];

/** Prefixes that name a bundled file in a config's `data.csv`; `vega-datasets:` is the older spelling. */
const PREFIXES = ["bundled:", "vega-datasets:"];

/** A file: URL as a path of the host (POSIX, or Windows with a drive letter), without node:url. */
function fileUrlToPath(url: URL): string {
  if (url.protocol !== "file:") throw new ConfigError(`bundled data: the package is not on a local file system (${url.href})`);
  const path = decodeURIComponent(url.pathname);
  return /^\/[A-Za-z]:\//.test(path) ? path.slice(1).replace(/\//g, "\\") : path;
}

/**
 * The path of a CSV in the package's data/ directory: `bundledDataPath("weather.csv")`.
 * @throws ConfigError for a file that is not bundled (the message lists those that are).
 */
export function bundledDataPath(file: string): string {
  if (!(BUNDLED_FILES as readonly string[]).includes(file)) {
    throw new ConfigError(`"${file}" is not a bundled data file; bundled: ${BUNDLED_FILES.join(", ")} (give a path to any other CSV)`);
  }
  // src/forecast/bundled.ts and dist/forecast/bundled.js both sit two levels below the package root.
  return fileUrlToPath(new URL(`../../data/${file}`, import.meta.url));
}

/** `bundled:weather.csv` or `vega-datasets:weather.csv` → the bundled file's path; anything else → null. */
export function resolveBundled(csv: string): string | null {
  const prefix = PREFIXES.find((p) => csv.startsWith(p));
  return prefix === undefined ? null : bundledDataPath(csv.slice(prefix.length));
}
