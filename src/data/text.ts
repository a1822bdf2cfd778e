// Text → numbers for the models: a word tokenizer in Keras's shape (lower-casing, punctuation
// stripped, a vocabulary ranked by frequency, 0 = padding, 1 = out-of-vocabulary), padding to one
// length with Keras's defaults, bag-of-words vectors, a character vocabulary, and sampling a token
// from a model's logits with a temperature. Knows nothing of models: it makes Tensors and reads
// arrays of numbers.

import { ConfigError, DataError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";

/** Keras's `Tokenizer` default `filters`: the characters replaced by a space before splitting. */
export const DEFAULT_FILTERS = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

/** The id every sequence is padded with. */
export const PAD_ID = 0;
/** The id of a word outside the vocabulary. */
export const OOV_ID = 1;

// --- option checks (the data layer sits below src/layers, so it cannot use its zod schemas) ---------

function editDistance(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[t.length]!;
}

/** A value as a message shows it: strings quoted, objects as JSON, anything long cut to 80 characters. */
function show(v: unknown): string {
  let s: string;
  try {
    s = typeof v === "string" || (typeof v === "object" && v !== null) ? JSON.stringify(v) ?? String(v) : String(v);
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Refuses a non-object and unknown keys, naming the nearest valid key ("did you mean"). */
function checkKeys(options: unknown, valid: readonly string[], where: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigError(`${where}: options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (valid.includes(key)) continue;
    let best = "", bestD = Infinity;
    for (const v of valid) {
      const d = editDistance(key, v);
      if (d < bestD) { best = v; bestD = d; }
    }
    throw new ConfigError(bestD <= Math.max(2, Math.ceil(key.length / 3))
      ? `${where}: unknown option '${key}' — did you mean '${best}'?`
      : `${where}: unknown option '${key}'; valid options are ${valid.join(", ")}`);
  }
  return options as Record<string, unknown>;
}

function positiveIntOption(o: Record<string, unknown>, key: string, where: string, min = 1): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new ConfigError(`${where}: ${key} must be an integer ≥ ${min}, got ${show(v)}`);
  }
  return v;
}

function choiceOption<T extends string>(o: Record<string, unknown>, key: string, choices: readonly T[], where: string): T | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new ConfigError(`${where}: ${key} must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${show(v)}`);
  }
  return v as T;
}

function checkTexts(texts: unknown, where: string): readonly string[] {
  if (!Array.isArray(texts)) throw new DataError(`${where}: texts must be an array of strings, got ${show(texts)}`);
  texts.forEach((t, i) => {
    if (typeof t !== "string") throw new DataError(`${where}: texts[${i}] must be a string, got ${show(t)}`);
  });
  return texts as readonly string[];
}

function checkSequences(sequences: unknown, where: string): readonly ArrayLike<number>[] {
  if (!Array.isArray(sequences)) throw new DataError(`${where}: sequences must be an array of id arrays, got ${show(sequences)}`);
  sequences.forEach((s, i) => {
    if (!Array.isArray(s) && !ArrayBuffer.isView(s)) throw new DataError(`${where}: sequences[${i}] must be an array of ids, got ${show(s)}`);
  });
  return sequences as readonly ArrayLike<number>[];
}

// --- the word tokenizer -----------------------------------------------------------------------------

/** Options of {@link Tokenizer}. */
export interface TokenizerOptions {
  /**
   * Size of the vocabulary, padding and out-of-vocabulary ids included: ids are in `[0, numWords)`,
   * so the `numWords − 2` most frequent words are kept. Keras's `Tokenizer(num_words, oov_token)`
   * keeps the same words. Default: every word seen by `fitOnTexts`.
   */
  numWords?: number;
  /** The same as `numWords`, under `TextVectorization`'s name; give one or the other. */
  maxTokens?: number;
  /** Lower-case the text first (default true). */
  lower?: boolean;
  /** Characters replaced by a space before splitting (default {@link DEFAULT_FILTERS}, Keras's). */
  filters?: string;
  /** Keep only words seen at least this often (default 1). */
  minCount?: number;
  /** The word shown for id 1 by `sequencesToTexts` and `indexWord` (default `"[UNK]"`). */
  oovToken?: string;
}

const TOKENIZER_KEYS = ["numWords", "maxTokens", "lower", "filters", "minCount", "oovToken"] as const;

/** What `Tokenizer.toJSON()` writes and `Tokenizer.fromJSON()` reads. */
export interface TokenizerJSON {
  numWords: number | null;
  lower: boolean;
  filters: string;
  minCount: number;
  oovToken: string;
  /** Every word seen, most frequent first (ties in order of first appearance). */
  words: string[];
  /** `counts[i]` is how often `words[i]` occurred. */
  counts: number[];
  /** `documentCounts[i]` is in how many texts `words[i]` occurred. */
  documentCounts: number[];
  /** How many texts `fitOnTexts` read. */
  documentCount: number;
}

/**
 * A word tokenizer in the shape Keras users know: `fitOnTexts` ranks the words of the training
 * texts by frequency (ties by first appearance) and gives the most frequent id 2, the next 3, …;
 * id 0 is padding and id 1 every word outside the kept vocabulary. `textsToSequences` turns texts
 * into id lists, `sequencesToTexts` back.
 *
 * A text is lower-cased (`lower`), each character of `filters` becomes a space, and the rest is
 * split on runs of white space. With the default filters an apostrophe stays inside a word
 * ("don't"), as in Keras's `Tokenizer`.
 */
export class Tokenizer {
  /** The vocabulary size asked for (`numWords` or `maxTokens`), or null for every word seen. */
  readonly numWords: number | null;
  readonly lower: boolean;
  readonly filters: string;
  readonly minCount: number;
  readonly oovToken: string;
  /** Every word seen and how often, in rank order (most frequent first). */
  readonly wordCounts = new Map<string, number>();
  /** In how many texts each word occurred. */
  readonly wordDocs = new Map<string, number>();
  /** How many texts `fitOnTexts` has read. */
  documentCount = 0;
  private ranked: string[] = [];
  private ids = new Map<string, number>();
  private filterSet: Set<string>;

  constructor(options: TokenizerOptions = {}) {
    const where = "Tokenizer";
    const o = checkKeys(options, TOKENIZER_KEYS, where);
    const numWords = positiveIntOption(o, "numWords", where, 2);
    const maxTokens = positiveIntOption(o, "maxTokens", where, 2);
    if (numWords !== undefined && maxTokens !== undefined && numWords !== maxTokens) {
      throw new ConfigError(`${where}: numWords (${numWords}) and maxTokens (${maxTokens}) are two names for the vocabulary size; give one`);
    }
    this.numWords = numWords ?? maxTokens ?? null;
    if (o.lower !== undefined && typeof o.lower !== "boolean") throw new ConfigError(`${where}: lower must be true or false, got ${show(o.lower)}`);
    this.lower = (o.lower as boolean | undefined) ?? true;
    if (o.filters !== undefined && typeof o.filters !== "string") throw new ConfigError(`${where}: filters must be a string of characters, got ${show(o.filters)}`);
    this.filters = (o.filters as string | undefined) ?? DEFAULT_FILTERS;
    this.filterSet = new Set(this.filters);
    this.minCount = positiveIntOption(o, "minCount", where) ?? 1;
    if (o.oovToken !== undefined && (typeof o.oovToken !== "string" || o.oovToken === "")) {
      throw new ConfigError(`${where}: oovToken must be a non-empty string, got ${show(o.oovToken)}`);
    }
    this.oovToken = (o.oovToken as string | undefined) ?? "[UNK]";
  }

  /** The words of one text after lower-casing, filtering and splitting. */
  tokenize(text: string): string[] {
    if (typeof text !== "string") throw new DataError(`Tokenizer.tokenize: text must be a string, got ${show(text)}`);
    let s = this.lower ? text.toLowerCase() : text;
    if (this.filterSet.size > 0) {
      let out = "";
      for (const ch of s) out += this.filterSet.has(ch) ? " " : ch;
      s = out;
    }
    return s.split(/\s+/u).filter((w) => w.length > 0);
  }

  /**
   * Counts the words of `texts` (added to any counted before) and ranks the vocabulary again.
   * Returns the tokenizer.
   */
  fitOnTexts(texts: readonly string[]): this {
    checkTexts(texts, "Tokenizer.fitOnTexts");
    for (const text of texts) {
      const seen = new Set<string>();
      for (const w of this.tokenize(text)) {
        this.wordCounts.set(w, (this.wordCounts.get(w) ?? 0) + 1);
        seen.add(w);
      }
      for (const w of seen) this.wordDocs.set(w, (this.wordDocs.get(w) ?? 0) + 1);
      this.documentCount++;
    }
    this.rank();
    return this;
  }

  private rank(): void {
    // Map keeps insertion order and Array.prototype.sort is stable: ties stay in first-seen order.
    const entries = [...this.wordCounts].sort((a, b) => b[1] - a[1]);
    this.wordCounts.clear();
    for (const [w, c] of entries) this.wordCounts.set(w, c);
    this.ranked = entries.map(([w]) => w);
    this.ids.clear();
    const limit = this.numWords === null ? Infinity : this.numWords - 2;
    for (let i = 0; i < this.ranked.length && i < limit; i++) {
      const w = this.ranked[i]!;
      if (this.wordCounts.get(w)! < this.minCount) break;
      this.ids.set(w, i + 2);
    }
  }

  /** Ids are in `[0, vocabularySize)`: padding, out-of-vocabulary and the kept words. */
  get vocabularySize(): number {
    return this.ids.size + 2;
  }

  /** The kept words and their ids (2, 3, …), most frequent first. */
  get wordIndex(): ReadonlyMap<string, number> {
    return this.ids;
  }

  /** Id → word for every id: `""` for 0, `oovToken` for 1, then the kept words. */
  get indexWord(): string[] {
    return ["", this.oovToken, ...this.ids.keys()];
  }

  private requireFitted(where: string): void {
    if (this.documentCount === 0) throw new ConfigError(`${where}: the tokenizer has no vocabulary yet; call fitOnTexts(trainingTexts) first`);
  }

  /** The ids of one text's words (1 for a word outside the vocabulary). */
  textToSequence(text: string): number[] {
    this.requireFitted("Tokenizer.textToSequence");
    return this.tokenize(text).map((w) => this.ids.get(w) ?? OOV_ID);
  }

  /** `textToSequence` of each text: one id list per text, of its own length. */
  textsToSequences(texts: readonly string[]): number[][] {
    this.requireFitted("Tokenizer.textsToSequences");
    return checkTexts(texts, "Tokenizer.textsToSequences").map((t) => this.textToSequence(t));
  }

  /** Id lists back to text, words joined by a space; padding (0) is dropped, 1 is `oovToken`. */
  sequencesToTexts(sequences: readonly ArrayLike<number>[]): string[] {
    const where = "Tokenizer.sequencesToTexts";
    const words = this.indexWord;
    return checkSequences(sequences, where).map((seq, i) => {
      const out: string[] = [];
      for (let t = 0; t < seq.length; t++) {
        const id = seq[t]!;
        if (!Number.isInteger(id) || id < 0 || id >= words.length) {
          throw new DataError(`${where}: sequences[${i}][${t}] is ${id}, not an id in [0, ${words.length})`);
        }
        if (id !== PAD_ID) out.push(words[id]!);
      }
      return out.join(" ");
    });
  }

  /** Bag-of-words vectors of texts over this vocabulary: {@link bagOfWords} of their sequences. */
  textsToMatrix(texts: readonly string[], mode: BagOfWordsMode = "multiHot"): Tensor {
    return bagOfWords(this.textsToSequences(texts), { numTokens: this.vocabularySize, mode });
  }

  /** The vocabulary and settings as plain JSON (every word counted, so a larger `numWords` can be chosen later). */
  toJSON(): TokenizerJSON {
    const words = [...this.wordCounts.keys()];
    return {
      numWords: this.numWords, lower: this.lower, filters: this.filters, minCount: this.minCount, oovToken: this.oovToken,
      words, counts: words.map((w) => this.wordCounts.get(w)!), documentCounts: words.map((w) => this.wordDocs.get(w) ?? 0),
      documentCount: this.documentCount,
    };
  }

  /** Rebuilds a tokenizer saved with `toJSON()`; the same texts give the same ids. */
  static fromJSON(json: TokenizerJSON): Tokenizer {
    const where = "Tokenizer.fromJSON";
    if (json === null || typeof json !== "object") throw new DataError(`${where}: expected the object toJSON() wrote, got ${show(json)}`);
    const { words, counts, documentCounts } = json;
    if (!Array.isArray(words) || !Array.isArray(counts) || !Array.isArray(documentCounts) || counts.length !== words.length || documentCounts.length !== words.length) {
      throw new DataError(`${where}: words, counts and documentCounts must be arrays of one length`);
    }
    if (!Number.isInteger(json.documentCount) || json.documentCount < 0) throw new DataError(`${where}: documentCount must be a non-negative integer, got ${show(json.documentCount)}`);
    const t = new Tokenizer({
      ...(json.numWords === null ? {} : { numWords: json.numWords }),
      lower: json.lower, filters: json.filters, minCount: json.minCount, oovToken: json.oovToken,
    });
    words.forEach((w, i) => {
      if (typeof w !== "string" || !Number.isInteger(counts[i]) || counts[i]! < 1) throw new DataError(`${where}: entry ${i} (${show(w)}, count ${show(counts[i])}) is not a word with a positive count`);
      t.wordCounts.set(w, counts[i]!);
      t.wordDocs.set(w, documentCounts[i]!);
    });
    t.documentCount = json.documentCount;
    t.rank();
    return t;
  }
}

// --- padding ----------------------------------------------------------------------------------------

/** Options of {@link padSequences} (Keras's `pad_sequences`). */
export interface PadOptions {
  /** Length of every row (default: the longest sequence). */
  maxlen?: number;
  /** Where the padding goes: `"pre"` (default, Keras's) before the ids, `"post"` after. */
  padding?: "pre" | "post";
  /** Which end of a longer sequence is cut: `"pre"` (default, Keras's) drops the start, `"post"` the end. */
  truncating?: "pre" | "post";
  /** The padding value (default 0). */
  value?: number;
}

const PAD_KEYS = ["maxlen", "padding", "truncating", "value"] as const;

/**
 * Sequences of ids as one `[n, maxlen]` Tensor, with Keras's defaults: shorter rows padded with
 * `value` at the start, longer ones cut at the start (keeping the end of a text, nearest the
 * label). With padding `"pre"`, an RNN reads the padding first and the words last.
 */
export function padSequences(sequences: readonly ArrayLike<number>[], options: PadOptions = {}): Tensor {
  const where = "padSequences";
  const o = checkKeys(options, PAD_KEYS, where);
  checkSequences(sequences, where);
  const padding = choiceOption(o, "padding", ["pre", "post"] as const, where) ?? "pre";
  const truncating = choiceOption(o, "truncating", ["pre", "post"] as const, where) ?? "pre";
  if (o.value !== undefined && (typeof o.value !== "number" || !Number.isFinite(o.value))) {
    throw new ConfigError(`${where}: value must be a finite number, got ${show(o.value)}`);
  }
  const value = (o.value as number | undefined) ?? 0;
  let maxlen = positiveIntOption(o, "maxlen", where);
  if (maxlen === undefined) {
    maxlen = 0;
    for (const s of sequences) maxlen = Math.max(maxlen, s.length);
    if (maxlen === 0) throw new DataError(`${where}: every sequence is empty and no maxlen was given; pass maxlen`);
  }
  const n = sequences.length;
  const out = new Float32Array(n * maxlen).fill(value);
  sequences.forEach((seq, i) => {
    const len = Math.min(seq.length, maxlen);
    const from = truncating === "pre" ? seq.length - len : 0;
    const at = i * maxlen + (padding === "pre" ? maxlen - len : 0);
    for (let t = 0; t < len; t++) {
      const id = seq[from + t]!;
      if (typeof id !== "number" || !Number.isFinite(id)) throw new DataError(`${where}: sequences[${i}][${from + t}] is ${show(id)}, not a finite number`);
      out[at + t] = id;
    }
  });
  return new Tensor(out, [n, maxlen]);
}

// --- bag of words -----------------------------------------------------------------------------------

/** What a bag-of-words entry holds: presence (1/0), the count, or the count over the text's length. */
export type BagOfWordsMode = "multiHot" | "count" | "freq";

/** Options of {@link bagOfWords}. */
export interface BagOfWordsOptions {
  /** Columns: ids must be in `[0, numTokens)`; usually `tokenizer.vocabularySize`. */
  numTokens: number;
  /** `"multiHot"` (default): 1 where the id occurs; `"count"`: how often; `"freq"`: count / non-padding length. */
  mode?: BagOfWordsMode;
}

const BOW_KEYS = ["numTokens", "mode"] as const;

/**
 * One `[n, numTokens]` row per sequence (Keras's `sequences_to_matrix`, TextVectorization's
 * `multi_hot` / `count`): column k is about id k. Padding (id 0) is not counted, so column 0 is
 * all zeros; the out-of-vocabulary id 1 is a column like any word. A Dense(1, sigmoid) on these
 * rows is logistic regression on word presence.
 */
export function bagOfWords(sequences: readonly ArrayLike<number>[], options: BagOfWordsOptions): Tensor {
  const where = "bagOfWords";
  const o = checkKeys(options, BOW_KEYS, where);
  if (o.numTokens === undefined) throw new ConfigError(`${where}: numTokens is required (the vocabulary size, e.g. tokenizer.vocabularySize)`);
  const V = positiveIntOption(o, "numTokens", where)!;
  const mode = choiceOption(o, "mode", ["multiHot", "count", "freq"] as const, where) ?? "multiHot";
  checkSequences(sequences, where);
  const out = new Float32Array(sequences.length * V);
  sequences.forEach((seq, i) => {
    let len = 0;
    for (let t = 0; t < seq.length; t++) {
      const id = seq[t]!;
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new DataError(`${where}: sequences[${i}][${t}] is ${id}, not an id in [0, ${V}) (numTokens ${V})`);
      if (id === PAD_ID) continue;
      len++;
      if (mode === "multiHot") out[i * V + id] = 1;
      else out[i * V + id]! += 1;
    }
    if (mode === "freq" && len > 0) for (let k = 0; k < V; k++) out[i * V + k]! /= len;
  });
  return new Tensor(out, [sequences.length, V]);
}

// --- characters -------------------------------------------------------------------------------------

/**
 * A character vocabulary: the distinct characters of a text (Unicode code points), sorted, each
 * with its index. `encode` turns text into ids, `decode` ids back.
 */
export class CharVocabulary {
  /** Id → character. */
  readonly chars: readonly string[];
  /** Character → id. */
  readonly index: ReadonlyMap<string, number>;

  constructor(chars: readonly string[]) {
    const where = "CharVocabulary";
    if (!Array.isArray(chars) || chars.length === 0) throw new DataError(`${where}: expected a non-empty list of characters, got ${show(chars)}`);
    const index = new Map<string, number>();
    chars.forEach((c, i) => {
      if (typeof c !== "string" || [...c].length !== 1) throw new DataError(`${where}: entry ${i} is ${show(c)}, not one character`);
      if (index.has(c)) throw new DataError(`${where}: ${show(c)} appears twice (entries ${index.get(c)} and ${i})`);
      index.set(c, i);
    });
    this.chars = [...chars];
    this.index = index;
  }

  /** The sorted distinct characters of `text`. */
  static fromText(text: string): CharVocabulary {
    if (typeof text !== "string" || text.length === 0) throw new DataError(`CharVocabulary.fromText: expected a non-empty string, got ${show(text)}`);
    return new CharVocabulary([...new Set(text)].sort());
  }

  /** Number of characters (the model's `inputDim` and output width). */
  get size(): number {
    return this.chars.length;
  }

  /**
   * Ids of `text`. A character outside the vocabulary is an error naming it and its position
   * (`unknown: "error"`, the default) or is left out (`unknown: "skip"`).
   */
  encode(text: string, options: { unknown?: "error" | "skip" } = {}): Int32Array {
    const where = "CharVocabulary.encode";
    const o = checkKeys(options, ["unknown"], where);
    const unknown = choiceOption(o, "unknown", ["error", "skip"] as const, where) ?? "error";
    if (typeof text !== "string") throw new DataError(`${where}: text must be a string, got ${show(text)}`);
    const ids: number[] = [];
    let pos = 0;
    for (const c of text) {
      const id = this.index.get(c);
      if (id !== undefined) ids.push(id);
      else if (unknown === "error") throw new DataError(`${where}: character ${show(c)} at position ${pos} is not in the vocabulary of ${this.size} characters; pass { unknown: "skip" } to leave such characters out`);
      pos++;
    }
    return Int32Array.from(ids);
  }

  /** The text of `ids`. */
  decode(ids: ArrayLike<number>): string {
    let s = "";
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]!];
      if (c === undefined) throw new DataError(`CharVocabulary.decode: ids[${i}] is ${ids[i]}, not an id in [0, ${this.size})`);
      s += c;
    }
    return s;
  }
}

// --- sampling ---------------------------------------------------------------------------------------

/** A source of uniform numbers in [0, 1), such as the library's seeded `Rng`. */
export interface UniformSource {
  next(): number;
}

/**
 * Draws an index from `softmax(logits / temperature)`. A temperature below 1 sharpens the
 * distribution towards the likeliest tokens, above 1 flattens it; 0 picks the largest logit
 * (greedy). `logits` is one row (unnormalised log-probabilities, as a Dense layer without softmax
 * gives them); pass a seeded `Rng` for reproducible samples.
 */
export function sampleFromLogits(logits: ArrayLike<number>, temperature: number, rng: UniformSource): number {
  const where = "sampleFromLogits";
  if (typeof temperature !== "number" || !Number.isFinite(temperature) || temperature < 0) {
    throw new ConfigError(`${where}: temperature must be a finite number ≥ 0, got ${show(temperature)}`);
  }
  const V = logits?.length ?? 0;
  if (V === 0) throw new DataError(`${where}: logits must be a non-empty array of numbers`);
  let best = 0;
  for (let v = 0; v < V; v++) {
    if (!Number.isFinite(logits[v]!)) throw new DataError(`${where}: logits[${v}] is ${logits[v]}, not a finite number`);
    if (logits[v]! > logits[best]!) best = v;
  }
  if (temperature === 0) return best;
  const max = logits[best]! / temperature;
  const p = new Float64Array(V);
  let z = 0;
  for (let v = 0; v < V; v++) z += p[v] = Math.exp(logits[v]! / temperature - max);
  let u = rng.next() * z;
  for (let v = 0; v < V; v++) {
    u -= p[v]!;
    if (u < 0) return v;
  }
  return best; // rounding left u ≥ 0 after the last term: the mass is at the top anyway
}
