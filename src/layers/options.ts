// Options checked against a schema (zod): every factory, model method, optimizer and callback reads
// its options through `parseOptions`, which refuses unknown keys, wrong types and out-of-range values
// with one message shape: "<where>: <option> must be <rule>, got <value>", and for a misspelt key
// "<where>: unknown option 'returnSequence' — did you mean 'returnSequences'?".

import { z } from "zod";
import { ConfigError } from "../tensor/errors.js";

export { z };

/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The candidate closest to `name`, if it is close enough to be a plausible typo. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  // a shortened name ("inputLen" for "inputLength") first
  const low = name.toLowerCase();
  const extended = name.length >= 3 ? candidates.filter((c) => c.toLowerCase().startsWith(low)) : [];
  if (extended.length === 1) return extended[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.ceil(name.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/** A value as it appears in a message: strings quoted, numbers as JavaScript prints them, objects as short JSON. */
export function fmtValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint" || v === undefined || v === null) return String(v);
  if (typeof v === "function") return "a function";
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === "number" && !Number.isFinite(x) ? String(x) : x)) ?? String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

// --- field rules, each with the "must be ..." text the messages use ---------------------------------

const num = (rule: string, ok: (n: number) => boolean): z.ZodNumber =>
  z.number({ error: rule }).refine(ok, { error: rule }) as unknown as z.ZodNumber;

export const positiveInt = (): z.ZodNumber => num("must be a positive integer", (n) => Number.isInteger(n) && n > 0);
export const nonNegativeInt = (): z.ZodNumber => num("must be a non-negative integer", (n) => Number.isInteger(n) && n >= 0);
export const nonNegative = (): z.ZodNumber => num("must be a non-negative number", (n) => Number.isFinite(n) && n >= 0);
export const finiteNumber = (): z.ZodNumber => num("must be a finite number", (n) => Number.isFinite(n));
/** A fraction in [0, 1) (dropout rates). */
export const rate = (): z.ZodNumber => num("must be in [0, 1)", (n) => n >= 0 && n < 1);
export const bool = (): z.ZodBoolean => z.boolean({ error: "must be true or false" });
export const str = (): z.ZodString => z.string({ error: "must be a string" });
export const nonEmptyStr = (): z.ZodString => z.string({ error: "must be a non-empty string" }).min(1, { error: "must be a non-empty string" });
export const oneOf = <T extends string>(values: readonly T[]): z.ZodType<T> =>
  z.enum(values as [T, ...T[]], { error: `must be one of ${values.join(", ")}` }) as unknown as z.ZodType<T>;
export const shape = (): z.ZodArray<z.ZodNumber> => z.array(positiveInt(), { error: "must be a list of positive integers" });
/** A function (callbacks' methods, progress renderers' hooks). */
export const fn = (): z.ZodType<(...a: never[]) => unknown> =>
  z.custom<(...a: never[]) => unknown>((v) => typeof v === "function", { error: "must be a function" });

/** The options every layer takes (LayerArgs). */
export const layerArgsShape = {
  name: str().optional(),
  inputShape: shape().optional(),
  batchSize: positiveInt().optional(),
};

// --- turning zod's issues into one message ----------------------------------------------------------

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; items?: z.ZodType[]; in?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The keys the object schema at `path` accepts (for the "did you mean" of an unknown key). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  let i = 0;
  for (let guard = 0; s && guard < 64; guard++) {
    const d = defOf(s);
    if (d.type === "optional" || d.type === "nullable" || d.type === "default" || d.type === "readonly" || d.type === "nonoptional" || d.type === "catch" || d.type === "prefault") {
      s = d.innerType;
      continue;
    }
    if (d.type === "pipe") {
      s = d.in;
      continue;
    }
    if (d.type === "union") {
      const withShape = d.options?.find((o) => defOf(o).type === "object");
      s = withShape;
      continue;
    }
    if (i === path.length) return d.type === "object" ? Object.keys(d.shape ?? {}) : [];
    const key = path[i++]!;
    if (d.type === "object") s = d.shape?.[String(key)];
    else if (d.type === "array") s = d.element;
    else if (d.type === "tuple") s = d.items?.[Number(key)];
    else return [];
  }
  return [];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** A path as users write it: `validationData[0]`, `layer.config.units`. */
export function fmtPath(path: readonly PropertyKey[]): string {
  let s = "";
  for (const k of path) s += typeof k === "number" ? `[${k}]` : s === "" ? String(k) : `.${String(k)}`;
  return s;
}

/** One sentence per problem (without the `where:` prefix). */
export function describeIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  const suggested = new Set<string>();
  // unknown keys first: a misspelt required option is better told as the typo than as "required"
  const ordered = [...issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"));
  for (const iss of ordered) {
    const at = fmtPath(iss.path);
    if (iss.code === "unrecognized_keys") {
      const valid = keysAt(schema, iss.path);
      const full = (k: string): string => (at ? `${at}.${k}` : k);
      const far: string[] = [];
      for (const key of iss.keys) {
        const near = nearestName(key, valid);
        if (near !== undefined) {
          out.push(`unknown option '${full(key)}' — did you mean '${full(near)}'?`);
          suggested.add(full(near));
        }
        else far.push(`'${full(key)}'`);
      }
      if (far.length > 0) out.push(`unknown option${far.length > 1 ? "s" : ""} ${far.join(", ")}; valid options are ${valid.join(", ") || "none"}`);
      continue;
    }
    if (iss.code === "invalid_union" && iss.errors.length > 0) {
      // the first branch's complaints say the most (a union of a name and an object: the object's)
      const best = [...iss.errors].sort((a, b) => a.length - b.length)[0]!;
      out.push(...describeIssues(schema, input, best.map((e) => ({ ...e, path: [...iss.path, ...e.path] }))));
      continue;
    }
    const value = valueAt(input, iss.path);
    const subject = at || "options";
    const parent = iss.path.length > 0 ? valueAt(input, iss.path.slice(0, -1)) : undefined;
    const absent = value === undefined && parent !== null && typeof parent === "object" && !(iss.path[iss.path.length - 1]! in parent);
    if (value === undefined && (iss.code === "invalid_type" || absent)) {
      if (suggested.has(at)) continue;
      out.push(`${subject} is required (${iss.message.replace(/^must be /, "")})`);
    } else {
      const rule = iss.message.startsWith("must be") || iss.message.startsWith("is ") ? iss.message : `is invalid (${iss.message})`;
      out.push(`${subject} ${rule}, got ${fmtValue(value)}`);
    }
  }
  return [...new Set(out)];
}

/**
 * Check `value` against `schema`; on failure throw `ErrorClass` (ConfigError by default) saying
 * where, which option, which value, and for an unknown key the nearest valid one.
 */
export function parseOptions<S extends z.ZodType>(
  schema: S, value: unknown, where: string,
  ErrorClass: new (message: string) => Error = ConfigError,
): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  if (value === null || (typeof value !== "object" && defOf(schema).type === "object")) {
    throw new ErrorClass(`${where}: options must be an object, got ${fmtValue(value)}`);
  }
  throw new ErrorClass(`${where}: ${describeIssues(schema, value, r.error.issues).join("; ")}`);
}

/** An object schema that refuses unknown keys. */
export const options = <T extends z.ZodRawShape>(shape: T): z.ZodObject<T, z.core.$strict> =>
  z.strictObject(shape, { error: "must be an object" });

/** `parseOptions` that hands back the caller's own object (typed as given) once it passed. */
export function checkOptions<T>(schema: z.ZodType, value: T, where: string): T {
  parseOptions(schema, value, where);
  return value;
}
