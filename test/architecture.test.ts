// The import rules of docs/architecture.md, enforced with dependency-cruiser over src/: no runtime
// import cycles, each layer imports only the layers below it, and only src/cli and src/node (the
// command line and Node's host adapters) touch Node (node: modules, Node-only packages, process, Buffer).

import { describe, it, expect, beforeAll } from "vitest";
import { cruise, type ICruiseResult, type IForbiddenRuleType } from "dependency-cruiser";
import ts from "typescript";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Each layer and the layers it may import (src/<layer>/…), lowest first. */
const LAYERS: Record<string, string[]> = {
  tensor: [],
  kernels: ["tensor"],
  backend: ["kernels", "tensor"],
  layers: ["backend", "kernels", "tensor"],
  optim: ["layers", "backend", "kernels", "tensor"],
  io: ["layers", "tensor"],
  models: ["io", "optim", "layers", "backend", "kernels", "tensor"],
  data: ["io", "tensor"],
  report: ["io", "tensor"],
  interop: ["models", "io", "optim", "layers", "backend", "kernels", "tensor"],
  forecast: ["report", "data", "models", "io", "optim", "layers", "backend", "kernels", "tensor"],
  node: ["models", "io", "optim", "layers", "backend", "kernels", "tensor"],
  cli: ["node", "interop", "forecast", "report", "data", "models", "io", "optim", "layers", "backend", "kernels", "tensor"],
};

/** Where Node may be used: the CLI, the worker-thread host, and the one file-system adapter. */
const NODE_ALLOWED = "^src/(cli|node)/";
/** The Node-side entry modules: only entries (and the CLI's executable) import them. */
const NODE_ENTRIES = "^src/(index|install_node)\\.ts$";
const NODE_ONLY_PACKAGES = ["cli-progress", "cli-table3", "commander", "asciichart"];

const rules: IForbiddenRuleType[] = [
  {
    name: "no-runtime-cycle",
    severity: "error",
    from: {},
    to: { circular: true, dependencyTypesNot: ["type-only"], viaOnly: { dependencyTypesNot: ["type-only"] } },
  },
  ...Object.entries(LAYERS).map(([layer, below]): IForbiddenRuleType => ({
    name: `layer-${layer}`,
    severity: "error",
    from: { path: `^src/${layer}/` },
    to: { path: "^src/", pathNot: [`^src/(${[layer, ...below].join("|")})/`, ...(layer === "cli" ? ["^src/install_node\\.ts$"] : [])] },
  })),
  { name: "entries-on-top", severity: "error", from: { path: "^src/[^/]+/" }, to: { path: "^src/[^/]+\\.ts$", pathNot: "^src/install_node\\.ts$" } },
  { name: "install-node-from-entries", severity: "error", from: { path: "^src/", pathNot: `${NODE_ENTRIES}|^src/cli/bin\\.ts$` }, to: { path: "^src/install_node\\.ts$" } },
  { name: "node-builtins", severity: "error", from: { path: "^src/", pathNot: NODE_ALLOWED }, to: { dependencyTypes: ["core"] } },
  {
    name: "node-only-packages",
    severity: "error",
    from: { path: "^src/", pathNot: NODE_ALLOWED },
    to: { path: `node_modules/(${NODE_ONLY_PACKAGES.join("|")})/` },
  },
  {
    name: "browser-entry-host-neutral",
    severity: "error",
    from: { path: "^src/browser\\.ts$" },
    to: { path: `${NODE_ALLOWED}|${NODE_ENTRIES}`, reachable: true },
  },
];

let result: ICruiseResult;

beforeAll(async () => {
  const { output } = await cruise(
    ["src"],
    {
      baseDir: ROOT,
      validate: true,
      ruleSet: { forbidden: rules },
      tsPreCompilationDeps: "specify",
      doNotFollow: { path: "node_modules" },
      // AssemblyScript sources of the WebAssembly kernels: compiled by asc, never imported.
      exclude: { path: "^src/backend/wasm/assembly/" },
      enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "node", "default"] },
    },
    // Sources import "./x.js" and mean "./x.ts" (NodeNext).
    { extensionAlias: { ".js": [".ts", ".js"] } },
  );
  result = output as ICruiseResult;
});

const violations = (prefix: string): string[] =>
  result.summary.violations
    .filter((v) => v.rule.name.startsWith(prefix))
    .map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (cycle ${v.cycle.map((c) => c.name).join(" → ")})` : ""}`);

describe("architecture (docs/architecture.md)", () => {
  it("resolves every import of src and sees every layer", () => {
    const unresolved = result.modules.flatMap((m) => m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} → ${d.module}`));
    expect(unresolved).toEqual([]);
    const dirs = new Set(result.modules.map((m) => m.source.match(/^src\/([^/]+)\//)?.[1]).filter(Boolean));
    expect([...dirs].sort()).toEqual(Object.keys(LAYERS).sort());
  });

  it("has no runtime import cycle", () => {
    expect(violations("no-runtime-cycle")).toEqual([]);
  });

  it("each layer imports only the layers below it; entry modules sit on top", () => {
    expect([...violations("layer-"), ...violations("entries-"), ...violations("install-node")]).toEqual([]);
  });

  it("only src/cli and src/node import node: modules or Node-only packages", () => {
    expect([...violations("node-builtins"), ...violations("node-only")]).toEqual([]);
  });

  it("the browser entry reaches nothing of Node's", () => {
    expect(violations("browser-entry")).toEqual([]);
    const reached = result.modules.find((m) => m.source === "src/browser.ts");
    expect(reached).toBeDefined();
  });

  it("host-neutral modules use no Node global (process, Buffer, NodeJS types, …)", () => {
    const neutral = new RegExp(`${NODE_ALLOWED}|${NODE_ENTRIES}`);
    const files = result.modules.map((m) => m.source).filter((f) => f.startsWith("src/") && f.endsWith(".ts") && !neutral.test(f));
    const program = ts.createProgram(files.map((f) => `${ROOT}${f}`), {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
    });
    const checker = program.getTypeChecker();
    // A name is Node's when every declaration of what it refers to is in @types/node (names that
    // browsers also have, such as console or performance, are declared by the DOM library too).
    const nodeOnly = (id: ts.Identifier): boolean => {
      const decls = checker.getSymbolAtLocation(id)?.declarations ?? [];
      return decls.length > 0 && decls.every((d) => d.getSourceFile().fileName.includes("/@types/node/"));
    };
    const found: string[] = [];
    for (const f of files) {
      const sf = program.getSourceFile(`${ROOT}${f}`)!;
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && nodeOnly(n)) {
          found.push(`${f}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} ${n.text}`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(found).toEqual([]);
  });
});
