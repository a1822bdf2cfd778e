// The browser bundle in a real browser: Chromium (from npm, via puppeteer-core) loads
// dist/browser/recurrent.js from a loopback server, trains a seeded two-layer LSTM, and the batch
// losses, weights and predictions must equal bit for bit the same run in Node, per backend.

import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { transform } from "esbuild";
import { readFile } from "node:fs/promises";
import type { Browser, Page } from "puppeteer-core";
import * as recurrent from "../../src/index.js";
import { buildBrowser } from "../../scripts/build-browser.js";
import { launchChromium } from "../helpers/chromium.js";
import { train, type RunSpec, type RunResult } from "./train.js";

const PAGE = `<!doctype html><meta charset="utf-8"><title>recurrent</title>
<script type="module">
  import * as R from "/recurrent.js";
  import { train } from "/train.js";
  window.run = (spec) => train(R, spec).then((r) => ({ ok: r }), (e) => ({ error: String(e && e.message || e) }));
  window.loaded = true;
</script>`;

let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const bundle = await buildBrowser(null);
  // The run itself is TypeScript: strip the types for the page, nothing else changes.
  const trainTs = await readFile(fileURLToPath(new URL("./train.ts", import.meta.url)), "utf8");
  const trainJs = (await transform(trainTs, { loader: "ts", format: "esm", target: "es2022" })).code;
  const files: Record<string, [string, string]> = {
    "/": ["text/html", PAGE],
    "/recurrent.js": ["text/javascript", bundle],
    "/train.js": ["text/javascript", trainJs],
  };
  server = createServer((req, res) => {
    const f = files[req.url ?? ""];
    res.writeHead(f ? 200 : 404, { "content-type": f ? f[0] : "text/plain" }).end(f ? f[1] : "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  browser = await launchChromium();
  page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction("window.loaded === true || false", { timeout: 30_000 }).catch(() => {
    throw new Error(`the bundle did not load in Chromium: ${errors.join("; ") || "no page error"}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** The run in the page: its result, or the message of the error it threw. */
async function inBrowser(spec: RunSpec): Promise<{ ok?: RunResult; error?: string }> {
  return page.evaluate(`window.run(${JSON.stringify(spec)})`) as Promise<{ ok?: RunResult; error?: string }>;
}

async function inNode(spec: RunSpec): Promise<{ ok?: RunResult; error?: string }> {
  return train(recurrent, spec).then((ok) => ({ ok }), (e: Error) => ({ error: e.message }));
}

describe("the browser bundle trains exactly as Node does", () => {
  const specs: [string, RunSpec][] = [
    ["default backend", { seed: 11, epochs: 6 }],
    ["js backend", { backend: "js", seed: 12, epochs: 6 }],
    ["wasm backend", { backend: "wasm", seed: 13, epochs: 6 }],
  ];
  for (const [name, spec] of specs) {
    it(name, async () => {
      const [node, web] = await Promise.all([inNode(spec), inBrowser(spec)]);
      expect(node.error, "the Node run failed").toBeUndefined();
      expect(web.error, "the browser run failed").toBeUndefined();
      const n = node.ok!, w = web.ok!;
      if (spec.backend) expect(n.backend).toBe(spec.backend);
      expect(w.backend).toBe(n.backend);
      expect(n.batchLosses).toHaveLength(spec.epochs * 5);
      expect(n.batchLosses.every(Number.isFinite)).toBe(true);
      // It trained: the last epoch's mean loss is below the first's.
      expect(n.batchLosses.at(-1)).toBeLessThan(n.batchLosses[4]!);
      expect(w.batchLosses).toEqual(n.batchLosses);
      expect(w.parameters).toEqual(n.parameters);
      expect(w.predictions).toEqual(n.predictions);
      expect(w.csvRows).toBe(2);
    });
  }

  it("saving without a file system fails with a clear error", async () => {
    const msg = await page.evaluate(`import("/recurrent.js").then(async (R) => {
      const m = R.sequential([R.layers.input({ shape: [2, 1] }), R.layers.dense({ units: 1 })]);
      return m.save("model").then(() => "saved", (e) => e.name + ": " + e.message);
    })`);
    expect(msg).toMatch(/^ConfigError: save: no file system here.*useFileSystem/);
  });
});
