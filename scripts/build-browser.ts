// Bundles the browser entry (src/browser.ts) into one ES module, dist/browser/recurrent.js. The
// browser test builds through the same function, so it tests exactly what `npm run build` ships.

import { build, type BuildOptions } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export const BROWSER_BUNDLE = "dist/browser/recurrent.js";

const options: BuildOptions = {
  absWorkingDir: root,
  entryPoints: ["src/browser.ts"],
  bundle: true,
  format: "esm",
  // "browser" refuses node: built-ins, so a Node import reaching the core fails the build.
  platform: "browser",
  target: "es2022",
  // csv-parse's default build calls Node's Buffer and stream; its browser build carries its own.
  alias: { "csv-parse": "csv-parse/browser/esm" },
  sourcemap: true,
  logLevel: "warning",
};

/** Write the bundle (default dist/browser/recurrent.js), or return its text when `outfile` is null. */
export async function buildBrowser(outfile: string | null = BROWSER_BUNDLE): Promise<string> {
  if (outfile === null) {
    const r = await build({ ...options, sourcemap: "inline", write: false, outfile: "recurrent.js" });
    return r.outputFiles[0]!.text;
  }
  await build({ ...options, outfile });
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`build:browser: ${await buildBrowser()}`);
}
