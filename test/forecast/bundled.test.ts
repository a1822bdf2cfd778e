// The example data ships inside the package (data/), so nothing is read from vega-datasets at run
// time: bundledDataPath finds the copies, `bundled:` and the older `vega-datasets:` prefixes of a
// config's data.csv name them, and package.json no longer depends on the 42 MB package.
import { describe, it, expect } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { bundledDataPath, resolveBundled, BUNDLED_FILES } from "../../src/forecast/bundled.js";
import { ConfigError } from "../../src/tensor/errors.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("bundled example data", () => {
  it("lives in the package's data/ directory", () => {
    for (const f of BUNDLED_FILES) {
      const p = bundledDataPath(f);
      expect(p).toBe(join(ROOT, "data", f));
      expect(existsSync(p)).toBe(true);
    }
    expect(readFileSync(bundledDataPath("weather.csv"), "utf8").split("\n")[0]).toBe("location,date,precipitation,temp_max,temp_min,wind,weather");
  });

  it("is named in configs by bundled:<file>, and vega-datasets:<file> stays an alias", () => {
    expect(resolveBundled("bundled:weather.csv")).toBe(bundledDataPath("weather.csv"));
    expect(resolveBundled("vega-datasets:weather.csv")).toBe(bundledDataPath("weather.csv"));
    expect(resolveBundled("weather.csv")).toBeNull();
    expect(() => resolveBundled("vega-datasets:cars.json")).toThrow(ConfigError);
    expect(() => resolveBundled("vega-datasets:cars.json")).toThrow('"cars.json" is not a bundled data file; bundled: weather.csv, sp500-2000.csv, stocks.csv');
  });

  it("is shipped (package.json files) and vega-datasets is no run-time dependency", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[]; dependencies: Record<string, string> };
    expect(pkg.files).toContain("data");
    expect(Object.keys(pkg.dependencies)).not.toContain("vega-datasets");
  });

  it("each bundled file is documented in data/README.md with its source and licence", () => {
    const readme = readFileSync(join(ROOT, "data", "README.md"), "utf8");
    for (const f of BUNDLED_FILES) expect(readme).toContain(`\`${f}\``);
    expect(readme).toMatch(/BSD-3-Clause/);
  });
});
