// The config file of `recurrent train | evaluate | predict | summary`, checked with zod before any
// work: an unknown key is refused with the nearest valid name, a wrong type or an out-of-range
// value is named by its JSON path (data.lookback, model.layers[1].units), a JSON syntax error by
// its line and column.

import { z } from "zod";
import { ConfigError } from "../tensor/errors.js";
import { LOSSES } from "../kernels/losses.js";
import { AGGREGATIONS, FREQUENCIES, DATE_FORMATS } from "../data/index.js";

const OPTIMIZERS = ["sgd", "rmsprop", "adagrad", "adam", "adamw"] as const;
const METRICS = ["mse", "mae", "rmse", "mape", "accuracy"] as const;

const posInt = z.int().min(1);
const posNum = z.number().positive();
const fraction = z.number().min(0).lt(1);

const layerSpec: z.ZodType = z.lazy(() =>
  z.looseObject({
    type: z.string().min(1),
    layer: layerSpec.optional(),
  }),
);

export const runConfigSchema = z.strictObject({
  data: z.strictObject({
    csv: z.string().min(1),
    date: z.string().min(1).optional(),
    dateFormat: z.enum(DATE_FORMATS as unknown as [string, ...string[]]).optional(),
    target: z.string().min(1).optional(),
    where: z.array(z.string().min(1)).optional(),
    freq: z.enum(FREQUENCIES as unknown as [string, ...string[]]).optional(),
    agg: z.enum(AGGREGATIONS as unknown as [string, ...string[]]).optional(),
    impute: z.enum(["linear", "neighbourMean"]).optional(),
    maxGap: z.int().min(0).optional(),
    maxImputedShare: z.number().min(0).max(1).optional(),
    nonFinite: z.enum(["error", "drop", "impute"]).optional(),
    lookback: posInt,
    horizon: posInt.optional(),
    testSize: posInt.optional(),
    scaler: z.enum(["minmax", "standard"]).optional(),
    transform: z.enum(["none", "log", "boxcox"]).optional(),
  }),
  model: z.strictObject({
    seed: z.int().min(0).optional(),
    layers: z.array(layerSpec).min(1),
  }),
  compile: z.strictObject({
    optimizer: z.union([
      z.enum(OPTIMIZERS),
      z.strictObject({
        type: z.enum(OPTIMIZERS),
        learningRate: posNum.optional(),
        clipNorm: posNum.optional(),
        clipValue: posNum.optional(),
        momentum: fraction.optional(),
        nesterov: z.boolean().optional(),
        rho: fraction.optional(),
        beta1: fraction.optional(),
        beta2: fraction.optional(),
        epsilon: posNum.optional(),
        initialAccumulatorValue: z.number().min(0).optional(),
        weightDecay: z.number().min(0).optional(),
      }),
    ]).optional(),
    loss: z.union([
      z.enum(LOSSES as unknown as [string, ...string[]]),
      z.strictObject({ name: z.enum(LOSSES as unknown as [string, ...string[]]), fromLogits: z.boolean().optional(), delta: posNum.optional() }),
    ]).optional(),
    metrics: z.array(z.enum(METRICS)).optional(),
  }).optional(),
  fit: z.strictObject({
    epochs: posInt.optional(),
    batchSize: posInt.optional(),
    validationSplit: fraction.optional(),
    patience: z.int().min(0).optional(),
    shuffle: z.boolean().optional(),
  }).optional(),
});

/** `data.lookback`, `model.layers[1].units`; "the top level" for the root. */
export function jsonPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const k of path) s += typeof k === "number" ? `[${k}]` : s === "" ? String(k) : `.${String(k)}`;
  return s === "" ? "the top level" : s;
}

/** Levenshtein distance, case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const t = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = t;
    }
  }
  return d[b.length]!;
}

/** The valid name closest to `name`, if one is close enough to be a likely typo. */
export function nearest(name: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const v of valid) {
    const dd = distance(name, v);
    if (dd < bestD) {
      best = v;
      bestD = dd;
    }
  }
  const lower = name.toLowerCase();
  if (best !== undefined && (bestD <= Math.max(2, Math.floor(best.length / 3)) || best.toLowerCase().includes(lower) || lower.includes(best.toLowerCase()))) return best;
  return undefined;
}

/** "unknown key "lookbak"; did you mean "lookback"? valid keys: …". */
export function unknownKeyMessage(where: string, key: string, valid: readonly string[]): string {
  const near = nearest(key, valid);
  return `${where}: unknown key "${key}"${near ? `; did you mean "${near}"?` : ""} (valid keys: ${valid.join(", ")})`;
}

/** The object schema at a path of the input (array indices skipped), to list its keys. */
function objectKeysAt(path: readonly PropertyKey[]): string[] {
  let s: z.ZodType = runConfigSchema;
  for (const k of path) {
    for (;;) {
      if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
      else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) ?? s;
      else break;
    }
    if (typeof k === "number") {
      if (s instanceof z.ZodArray) s = s.element as z.ZodType;
      continue;
    }
    if (s instanceof z.ZodObject) s = s.shape[String(k)] as z.ZodType;
    else return [];
  }
  for (;;) {
    if (s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodUnion) s = (s.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) ?? s;
    else break;
  }
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

function shown(v: unknown): string {
  if (v === undefined) return "nothing (the key is missing)";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/** One line per problem, each with its JSON path. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = jsonPath(issue.path);
  const got = valueAt(input, issue.path);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => unknownKeyMessage(where, k, objectKeysAt(issue.path))).join("; ");
    case "invalid_type":
      if (got === undefined) return `${where} is required`;
      return `${where} must be ${issue.expected === "int" ? "an integer" : `${/^[aeiou]/.test(issue.expected) ? "an" : "a"} ${issue.expected}`}, got ${shown(got)}`;
    case "invalid_value":
      return `${where} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${shown(got)}`;
    case "too_small":
      if (issue.origin === "array") return `${where} must list at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === "string") return `${where} must not be empty`;
      return `${where} must be ${issue.inclusive ? "at least" : "greater than"} ${String(issue.minimum)}, got ${shown(got)}`;
    case "too_big":
      return `${where} must be ${issue.inclusive ? "at most" : "less than"} ${String(issue.maximum)}, got ${shown(got)}`;
    case "invalid_union": {
      // Name the problem of the branch that got furthest (the object form when an object was given).
      const branches = issue.errors;
      const pick = branches.find((b) => b.every((i) => i.code !== "invalid_type" || i.path.length > 0)) ?? branches[branches.length - 1] ?? [];
      if (pick.length > 0 && got !== null && typeof got === "object") {
        return describeIssue({ ...pick[0]!, path: [...issue.path, ...pick[0]!.path] } as z.core.$ZodIssue, input);
      }
      const names = branches.flat().flatMap((i) => (i.code === "invalid_value" && i.path.length === 0 ? i.values : []));
      return names.length > 0
        ? `${where} must be one of ${names.map((v) => JSON.stringify(v)).join(", ")} (or an object), got ${shown(got)}`
        : `${where} has an unexpected value ${shown(got)}`;
    }
    default:
      return `${where}: ${issue.message}`;
  }
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/**
 * Parses and checks a config file's text; `path` names it in every message.
 * @throws ConfigError naming the file, the line and column of a syntax error, or the JSON path of every bad value.
 */
export function parseRunConfig(text: string, path: string): z.infer<typeof runConfigSchema> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message.replace(/\s*\(line \d+ column \d+\)\s*$/, "");
    const m = msg.match(/at position (\d+)/);
    if (m) {
      const { line, column } = lineColumn(text, Number(m[1]));
      throw new ConfigError(`${path}:${line}:${column}: not valid JSON: ${msg.replace(/\s*in JSON at position \d+/, "")} (line ${line}, column ${column})`);
    }
    throw new ConfigError(`${path}: not valid JSON: ${msg}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(`${path}: a config is a JSON object with "data", "model" and optionally "compile" and "fit"; got ${shown(raw)}`);
  }
  const r = runConfigSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => describeIssue(i, raw));
    throw new ConfigError(`${path}: ${problems.length === 1 ? problems[0] : `${problems.length} problems: ${problems.join("; ")}`}`);
  }
  return r.data;
}
