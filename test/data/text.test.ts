// Text utilities: the tokenizer's vocabulary, ids and round trips, padding with Keras's defaults and
// each option, bag-of-words rows, the character vocabulary, sampling with a temperature, and the
// message of every refused input.
import { describe, it, expect } from "vitest";
import { data, Rng, ConfigError, DataError } from "../../src/index.js";

const { Tokenizer, padSequences, bagOfWords, CharVocabulary, sampleFromLogits, PAD_ID, OOV_ID } = data;

const rows = (t: { data: Float32Array; shape: readonly number[] }): number[][] => {
  const [n, w] = t.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from(t.data.subarray(i * w, (i + 1) * w)));
};

describe("Tokenizer", () => {
  const texts = ["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; THE end?"];

  it("lower-cases, strips Keras's punctuation, keeps apostrophes and splits on white space", () => {
    const t = new Tokenizer();
    expect(t.tokenize("Don't STOP--me\tnow!! (ok)")).toEqual(["don't", "stop", "me", "now", "ok"]);
    expect(new Tokenizer({ lower: false }).tokenize("Hi There")).toEqual(["Hi", "There"]);
    expect(new Tokenizer({ filters: "" }).tokenize("a,b c")).toEqual(["a,b", "c"]);
  });

  it("ranks words by frequency, ties by first appearance, ids from 2; 0 is padding and 1 out-of-vocabulary", () => {
    const t = new Tokenizer().fitOnTexts(texts);
    // counts: the 4, cat 2, dog 2, a 2, sat/on/mat/ate/my/homework/end 1 each
    expect([...t.wordIndex]).toEqual([
      ["the", 2], ["cat", 3], ["dog", 4], ["a", 5], ["sat", 6], ["on", 7], ["mat", 8], ["ate", 9], ["my", 10],
      ["homework", 11], ["end", 12],
    ]);
    expect(PAD_ID).toBe(0);
    expect(OOV_ID).toBe(1);
    expect(t.vocabularySize).toBe(13);
    expect(t.indexWord.slice(0, 4)).toEqual(["", "[UNK]", "the", "cat"]);
    expect(t.textsToSequences(["the cat ate a zebra"])).toEqual([[2, 3, 9, 5, 1]]);
    expect(t.documentCount).toBe(3);
    expect(t.wordDocs.get("the")).toBe(3);
    expect(t.wordCounts.get("the")).toBe(4);
  });

  it("gives the ids Keras's Tokenizer(num_words=5, oov_token) gives on TensorFlow's tutorial sentences", () => {
    // Keras's word_index and texts_to_sequences for these four sentences, as published for that tutorial.
    const sentences = ["I love my dog", "I love my cat", "You love my dog!", "Do you think my dog is amazing?"];
    const all = new Tokenizer().fitOnTexts(sentences);
    expect(Object.fromEntries(all.wordIndex)).toEqual({ my: 2, love: 3, dog: 4, i: 5, you: 6, cat: 7, do: 8, think: 9, is: 10, amazing: 11 });
    const five = new Tokenizer({ numWords: 5 }).fitOnTexts(sentences);
    expect(five.textsToSequences(sentences)).toEqual([[1, 3, 2, 4], [1, 3, 2, 1], [1, 3, 2, 4], [1, 1, 1, 2, 4, 1, 1]]);
  });

  it("keeps numWords − 2 words (maxTokens is the same size under TextVectorization's name)", () => {
    const t = new Tokenizer({ numWords: 5 }).fitOnTexts(texts);
    expect([...t.wordIndex.keys()]).toEqual(["the", "cat", "dog"]);
    expect(t.vocabularySize).toBe(5);
    expect(t.textsToSequences(["the a dog sat"])).toEqual([[2, 1, 4, 1]]);
    const m = new Tokenizer({ maxTokens: 5 }).fitOnTexts(texts);
    expect([...m.wordIndex]).toEqual([...t.wordIndex]);
    const min = new Tokenizer({ minCount: 2 }).fitOnTexts(texts);
    expect([...min.wordIndex.keys()]).toEqual(["the", "cat", "dog", "a"]);
  });

  it("turns sequences back into text and survives toJSON / fromJSON", () => {
    const t = new Tokenizer({ numWords: 6, oovToken: "<?>" }).fitOnTexts(texts);
    expect(t.sequencesToTexts([[0, 0, 2, 3, 1, 5]])).toEqual(["the cat <?> a"]);
    const again = Tokenizer.fromJSON(JSON.parse(JSON.stringify(t)));
    expect(again.textsToSequences(texts)).toEqual(t.textsToSequences(texts));
    expect(again.vocabularySize).toBe(6);
    expect(again.indexWord).toEqual(t.indexWord);
  });

  it("refuses bad options and use before fitting, naming what and why", () => {
    expect(() => new Tokenizer({ numWord: 10 } as never)).toThrow(ConfigError);
    expect(() => new Tokenizer({ numWord: 10 } as never)).toThrow("Tokenizer: unknown option 'numWord' — did you mean 'numWords'?");
    expect(() => new Tokenizer({ numWords: 1 })).toThrow("Tokenizer: numWords must be an integer ≥ 2, got 1");
    expect(() => new Tokenizer({ numWords: 10, maxTokens: 20 })).toThrow("numWords (10) and maxTokens (20) are two names for the vocabulary size; give one");
    expect(() => new Tokenizer({ lower: "yes" } as never)).toThrow("Tokenizer: lower must be true or false, got \"yes\"");
    expect(() => new Tokenizer().textsToSequences(["x"])).toThrow("the tokenizer has no vocabulary yet; call fitOnTexts(trainingTexts) first");
    expect(() => new Tokenizer().fitOnTexts(["ok", 3 as never])).toThrow(DataError);
    expect(() => new Tokenizer().fitOnTexts(["ok", 3 as never])).toThrow("Tokenizer.fitOnTexts: texts[1] must be a string, got 3");
    const t = new Tokenizer().fitOnTexts(texts);
    expect(() => t.sequencesToTexts([[2, 99]])).toThrow("Tokenizer.sequencesToTexts: sequences[0][1] is 99, not an id in [0, 13)");
    expect(() => Tokenizer.fromJSON({ ...t.toJSON(), counts: [1] })).toThrow("words, counts and documentCounts must be arrays of one length");
  });
});

describe("padSequences", () => {
  const seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]];

  it("pads and truncates at the start by default (Keras's pad_sequences), to the longest", () => {
    const x = padSequences(seqs);
    expect(x.shape).toEqual([3, 5]);
    expect(rows(x)).toEqual([[0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [6, 7, 8, 9, 10]]);
    expect(rows(padSequences(seqs, { maxlen: 3 }))).toEqual([[1, 2, 3], [0, 4, 5], [8, 9, 10]]);
  });

  it("pads and truncates at the end with \"post\", and pads with value", () => {
    expect(rows(padSequences(seqs, { maxlen: 4, padding: "post", truncating: "post" }))).toEqual([[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]]);
    expect(rows(padSequences(seqs, { maxlen: 4, padding: "post" }))).toEqual([[1, 2, 3, 0], [4, 5, 0, 0], [7, 8, 9, 10]]);
    expect(rows(padSequences([[1], []], { maxlen: 2, value: -1 }))).toEqual([[-1, 1], [-1, -1]]);
    expect(rows(padSequences([Int32Array.of(3, 4)], { maxlen: 3 }))).toEqual([[0, 3, 4]]);
  });

  it("refuses bad options and values", () => {
    expect(() => padSequences(seqs, { padding: "left" } as never)).toThrow("padSequences: padding must be one of \"pre\", \"post\", got \"left\"");
    expect(() => padSequences(seqs, { maxLen: 3 } as never)).toThrow("padSequences: unknown option 'maxLen' — did you mean 'maxlen'?");
    expect(() => padSequences(seqs, { maxlen: 0 })).toThrow("padSequences: maxlen must be an integer ≥ 1, got 0");
    expect(() => padSequences([[], []])).toThrow("every sequence is empty and no maxlen was given");
    expect(() => padSequences([[1, NaN]])).toThrow("padSequences: sequences[0][1] is NaN, not a finite number");
    expect(() => padSequences("abc" as never)).toThrow(DataError);
    expect(() => padSequences({ rows: "x".repeat(500) } as never)).toThrow(/got \{"rows":"x+\.\.\.$/);
  });
});

describe("bagOfWords", () => {
  it("marks presence, counts or frequencies; padding is not counted, out-of-vocabulary is", () => {
    const seqs = [[0, 0, 2, 3, 2], [1, 4]];
    expect(rows(bagOfWords(seqs, { numTokens: 5 }))).toEqual([[0, 0, 1, 1, 0], [0, 1, 0, 0, 1]]);
    expect(rows(bagOfWords(seqs, { numTokens: 5, mode: "count" }))).toEqual([[0, 0, 2, 1, 0], [0, 1, 0, 0, 1]]);
    const f = rows(bagOfWords(seqs, { numTokens: 5, mode: "freq" }));
    expect(f[0]![2]).toBeCloseTo(2 / 3, 6);
    expect(f[1]![4]).toBeCloseTo(0.5, 6);
    const t = new Tokenizer().fitOnTexts(["good good bad", "bad film"]);
    expect(rows(t.textsToMatrix(["good zebra"]))).toEqual([[0, 1, 1, 0, 0]]);
  });

  it("refuses ids outside numTokens and a missing numTokens", () => {
    expect(() => bagOfWords([[1, 7]], { numTokens: 5 })).toThrow("bagOfWords: sequences[0][1] is 7, not an id in [0, 5) (numTokens 5)");
    expect(() => bagOfWords([[1]], {} as never)).toThrow("bagOfWords: numTokens is required");
    expect(() => bagOfWords([[1]], { numTokens: 5, mode: "binary" } as never)).toThrow("mode must be one of \"multiHot\", \"count\", \"freq\", got \"binary\"");
  });
});

describe("CharVocabulary", () => {
  it("sorts the distinct characters and encodes and decodes", () => {
    const v = CharVocabulary.fromText("hello, world");
    expect(v.chars).toEqual([" ", ",", "d", "e", "h", "l", "o", "r", "w"]);
    expect(v.size).toBe(9);
    expect(Array.from(v.encode("low"))).toEqual([5, 6, 8]);
    expect(v.decode(v.encode("hello"))).toBe("hello");
    expect(Array.from(v.encode("lox", { unknown: "skip" }))).toEqual([5, 6]);
  });

  it("names an unknown character and its position, and a bad id", () => {
    const v = CharVocabulary.fromText("abc");
    expect(() => v.encode("abz")).toThrow("CharVocabulary.encode: character \"z\" at position 2 is not in the vocabulary of 3 characters");
    expect(() => v.decode([0, 3])).toThrow("CharVocabulary.decode: ids[1] is 3, not an id in [0, 3)");
    expect(() => new CharVocabulary(["a", "a"])).toThrow("\"a\" appears twice (entries 0 and 1)");
    expect(() => CharVocabulary.fromText("")).toThrow(DataError);
  });
});

describe("sampleFromLogits", () => {
  const logits = [1, 2, 0.5, 2.5];
  const softmax = (l: number[], T: number): number[] => {
    const e = l.map((v) => Math.exp(v / T));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  const freqs = (T: number, n = 20000): number[] => {
    const rng = new Rng(3);
    const c = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) c[sampleFromLogits(logits, T, rng)]!++;
    return c.map((v) => v / n);
  };

  it("draws from softmax(logits / T): frequencies match within sampling error at T = 1 and T = 0.5", () => {
    for (const T of [1, 0.5]) {
      const p = softmax(logits, T), f = freqs(T);
      for (let k = 0; k < 4; k++) expect(Math.abs(f[k]! - p[k]!)).toBeLessThan(0.015); // 3σ at n = 20000 is ≤ 0.011
    }
    // a lower temperature moves mass to the largest logit
    expect(freqs(0.5)[3]!).toBeGreaterThan(freqs(1)[3]! + 0.1);
  });

  it("is greedy at T = 0, reproducible by seed, and refuses bad input", () => {
    expect(sampleFromLogits(logits, 0, new Rng(1))).toBe(3);
    const r1 = new Rng(9), r2 = new Rng(9);
    for (let i = 0; i < 20; i++) expect(sampleFromLogits(logits, 1, r1)).toBe(sampleFromLogits(logits, 1, r2));
    expect(() => sampleFromLogits(logits, -1, new Rng(1))).toThrow("sampleFromLogits: temperature must be a finite number ≥ 0, got -1");
    expect(() => sampleFromLogits([1, NaN], 1, new Rng(1))).toThrow("sampleFromLogits: logits[1] is NaN, not a finite number");
    expect(() => sampleFromLogits([], 1, new Rng(1))).toThrow(DataError);
  });
});
