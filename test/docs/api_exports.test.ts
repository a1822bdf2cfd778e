// docs/api.md documents every public export: each name exported by the package entry (src/index.ts)
// and by the browser entry (src/browser.ts), and each member of their namespaces (`layers.*`,
// `callbacks.*`, `data.*`, `backend.*`, `forecasting.*`). A top-level name must appear as code
// (inside backticks or a code block) somewhere in the document; a namespace member must appear as
// code in the section whose heading names the namespace (e.g. "## Data (`data.*`)").
// Values are checked on the imported modules; type-only exports (erased at run time) are read from
// the entries' declarations with the TypeScript compiler and checked by the same rules.

import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as nodeEntry from "../../src/index.js";
import * as browserEntry from "../../src/browser.js";
import ts from "typescript";

const DOC_PATH = fileURLToPath(new URL("../../docs/api.md", import.meta.url));
const ENTRY_FILES = {
  "src/index.ts": fileURLToPath(new URL("../../src/index.ts", import.meta.url)),
  "src/browser.ts": fileURLToPath(new URL("../../src/browser.ts", import.meta.url)),
};
const DOC = readFileSync(DOC_PATH, "utf8");

/** The namespaces of the API; any other namespace-like export must be added here. */
const NAMESPACES = ["layers", "callbacks", "data", "backend", "forecasting"] as const;

const IDENT = /[A-Za-z_$][A-Za-z0-9_$]*/g;

/** The identifiers written as code in a piece of Markdown: fenced blocks and inline code spans. */
function codeIdentifiers(markdown: string): Set<string> {
  const out = new Set<string>();
  const add = (code: string) => { for (const m of code.match(IDENT) ?? []) out.add(m); };
  const withoutFences = markdown.replace(/^```[^\n]*\n([\s\S]*?)^```[ \t]*$/gm, (_all, body: string) => {
    add(body);
    return "";
  });
  for (const m of withoutFences.matchAll(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g)) add(m[2]!);
  return out;
}

/**
 * The text of the sections whose heading names `ns.*` in code (e.g. "## Data (`data.*`)"), each
 * up to the next heading of the same or a higher level; subsections are included.
 */
function namespaceSections(markdown: string, ns: string): string {
  const lines = markdown.split("\n");
  const parts: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const h = /^(#+)\s/.exec(lines[i]!);
    if (!h || !lines[i]!.includes(`\`${ns}.*\``)) continue;
    const level = h[1]!.length;
    let j = i + 1;
    while (j < lines.length) {
      const k = /^(#+)\s/.exec(lines[j]!);
      if (k && k[1]!.length <= level) break;
      j++;
    }
    parts.push(lines.slice(i, j).join("\n"));
  }
  return parts.join("\n");
}

const isModuleNamespace = (v: unknown): boolean =>
  typeof v === "object" && v !== null && (v as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "Module";

interface Report {
  undocumented: string[];
  /** Namespaces without a section whose heading names them. */
  missingSections: string[];
  /** Namespace objects (`export * as x`) that NAMESPACES does not list, so nothing checks their members. */
  unlistedNamespaces: string[];
}

/** Every undocumented export of an entry module, as `name` or `namespace.member`. */
function check(entry: Record<string, unknown>, markdown: string): Report {
  const all = codeIdentifiers(markdown);
  const report: Report = { undocumented: [], missingSections: [], unlistedNamespaces: [] };
  for (const name of Object.keys(entry).sort()) {
    if (!all.has(name)) report.undocumented.push(name);
    const value = entry[name];
    if (!(NAMESPACES as readonly string[]).includes(name)) {
      if (isModuleNamespace(value)) report.unlistedNamespaces.push(name);
      continue;
    }
    const section = namespaceSections(markdown, name);
    if (!section) {
      report.missingSections.push(name);
      continue;
    }
    const inSection = codeIdentifiers(section);
    for (const member of Object.keys(value as object).sort()) {
      if (!inSection.has(member)) report.undocumented.push(`${name}.${member}`);
    }
  }
  return report;
}

/**
 * The type-only exports of an entry file, top-level and per namespace (a namespace's values are
 * seen at run time; its types, e.g. `data.Frame`, only here).
 */
function typeExports(program: ts.Program, file: string): { top: string[]; members: Record<string, string[]> } {
  const checker = program.getTypeChecker();
  const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const isTypeOnly = (s: ts.Symbol) => !(resolve(s).flags & ts.SymbolFlags.Value);
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not in the program`);
  const top: string[] = [];
  const members: Record<string, string[]> = {};
  for (const s of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
    if (isTypeOnly(s)) top.push(s.name);
    if ((NAMESPACES as readonly string[]).includes(s.name)) {
      members[s.name] = checker.getExportsOfModule(resolve(s)).filter(isTypeOnly).map((m) => m.name).sort();
    }
  }
  return { top: top.sort(), members };
}

/** The undocumented type-only exports, as `Name` or `namespace.Name`. */
function undocumentedTypes(types: ReturnType<typeof typeExports>, markdown: string): string[] {
  const all = codeIdentifiers(markdown);
  const out = types.top.filter((n) => !all.has(n));
  for (const [ns, names] of Object.entries(types.members)) {
    const inSection = codeIdentifiers(namespaceSections(markdown, ns));
    out.push(...names.filter((n) => !inSection.has(n)).map((n) => `${ns}.${n}`));
  }
  return out;
}

describe("docs/api.md documents every public export", () => {
  const program = ts.createProgram(Object.values(ENTRY_FILES), {
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
    strict: true, skipLibCheck: true, noEmit: true, types: ["node"],
  });

  for (const [label, file] of Object.entries(ENTRY_FILES)) {
    it(`${label}: every exported type is in docs/api.md`, () => {
      const types = typeExports(program, file);
      expect(types.top.length, "type exports found").toBeGreaterThan(10);
      expect(undocumentedTypes(types, DOC), "types missing from docs/api.md (as code; namespace members in their section)").toEqual([]);
    });
  }

  for (const [label, entry] of [["src/index.ts", nodeEntry], ["src/browser.ts", browserEntry]] as const) {
    it(`${label}: every export and namespace member is in docs/api.md`, () => {
      const r = check(entry as unknown as Record<string, unknown>, DOC);
      expect(r.unlistedNamespaces, "namespaces to add to NAMESPACES in this test").toEqual([]);
      expect(r.missingSections, "namespaces without a section headed `ns.*` in docs/api.md").toEqual([]);
      expect(r.undocumented, "exports missing from docs/api.md (as code; namespace members in their section)").toEqual([]);
    });
  }

  it("the browser entry's namespaces are those of the package entry", () => {
    for (const ns of NAMESPACES) {
      if (!(ns in browserEntry)) continue;
      const b = Object.keys((browserEntry as unknown as Record<string, object>)[ns]!).sort();
      const n = Object.keys((nodeEntry as unknown as Record<string, object>)[ns]!).sort();
      expect(b, ns).toEqual(n);
    }
  });

  it("the check has teeth: a name taken out of the document is reported", () => {
    const drop = (name: string) => DOC.replace(new RegExp(`(?<![A-Za-z0-9_$])${name.replace(/\$/g, "\\$")}(?![A-Za-z0-9_$])`, "g"), "removed");
    const entry = nodeEntry as unknown as Record<string, unknown>;
    // what a changed document adds to the report (so this holds while something else is missing)
    const base = new Set(check(entry, DOC).undocumented);
    const added = (doc: string) => check(entry, doc).undocumented.filter((n) => !base.has(n));
    expect(added(drop("sequential"))).toContain("sequential");
    expect(added(drop("parseCsv"))).toEqual(["data.parseCsv"]);
    expect(added(drop("earlyStopping"))).toEqual(["callbacks.earlyStopping"]);
    expect(added(drop("STRENGTH_THRESHOLD"))).toEqual(["forecasting.STRENGTH_THRESHOLD"]);
    // a namespace member mentioned only outside its section does not count
    const outside = drop("makeWindows") + "\n\n## Elsewhere\n`makeWindows`\n";
    expect(added(outside)).toEqual(["data.makeWindows"]);
    const types = typeExports(program, ENTRY_FILES["src/index.ts"]);
    const baseTypes = new Set(undocumentedTypes(types, DOC));
    const addedTypes = (doc: string) => undocumentedTypes(types, doc).filter((n) => !baseTypes.has(n));
    expect(addedTypes(drop("FitArgs"))).toEqual(["FitArgs"]);
    expect(addedTypes(drop("WindowOptions"))).toEqual(["data.WindowOptions"]);
    expect(addedTypes(drop("LstmArgs"))).toEqual(["layers.LstmArgs"]);
    // a section that loses its `ns.*` heading is reported
    expect(check(entry, DOC.replace(/`data\.\*`/g, "data")).missingSections).toEqual(["data"]);
    // prose is not documentation: a name outside code does not count
    expect(codeIdentifiers("the drift baseline").has("drift")).toBe(false);
    expect(codeIdentifiers("`drift(y, h)`").has("drift")).toBe(true);
    expect(codeIdentifiers("```ts\nconst m = sequential([]);\n```").has("sequential")).toBe(true);
  });
});
