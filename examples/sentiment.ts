// Word-level sentiment: review sentences (data/sentiment_sentences.tsv, 3,000 labelled sentences about
// phones, films and restaurants) → Tokenizer → Embedding → LSTM → Dense(1, sigmoid), trained with binary
// cross-entropy, beside a bag-of-words logistic regression (Dense(1, sigmoid) on multi-hot vectors)
// fitted in the same run on the same split and the same vocabulary; both scored on held-out sentences.
// Run: npx tsx examples/sentiment.ts [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential, layers, callbacks, data, Rng, Tensor, type Sequential } from "../src/index.js";
import { isMain, parseExampleArgs, runCli, table, type Log } from "./common.js";

export const SENTENCES_PATH = fileURLToPath(new URL("../data/sentiment_sentences.tsv", import.meta.url));

/** One labelled sentence. */
export interface Sentence {
  source: string;
  label: 0 | 1;
  text: string;
}

/** Reads the tab-separated `source label sentence` file (header line first). */
export function loadSentences(path = SENTENCES_PATH): Sentence[] {
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.length > 0);
  if (lines[0] !== "source\tlabel\tsentence") throw new Error(`${path}: expected the header "source<TAB>label<TAB>sentence"`);
  return lines.slice(1).map((line, i) => {
    const [source, label, text] = line.split("\t");
    if (text === undefined || (label !== "0" && label !== "1")) throw new Error(`${path}:${i + 2}: expected source, a 0/1 label and a sentence`);
    return { source: source!, label: Number(label) as 0 | 1, text };
  });
}

/** A seeded shuffle, then the last `testFraction` of it held out. */
export function splitSentences(all: readonly Sentence[], testFraction: number, seed: number): { train: Sentence[]; test: Sentence[] } {
  const order = all.map((_, i) => i);
  const rng = new Rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const nTest = Math.round(all.length * testFraction);
  const shuffled = order.map((i) => all[i]!);
  return { train: shuffled.slice(0, shuffled.length - nTest), test: shuffled.slice(shuffled.length - nTest) };
}

export interface SentimentOptions {
  /** Vocabulary size with padding and out-of-vocabulary ids (Tokenizer numWords). */
  numWords: number;
  /** Ids per sentence after padding / truncation. */
  maxlen: number;
  embed: number;
  units: number;
  /** Wrap the LSTM in Bidirectional (needs the mask from maskZero to ignore the padding). */
  bidirectional: boolean;
  /** Mask the padding (id 0) so the recurrent layer skips it. */
  maskZero: boolean;
  /** Dropout on the LSTM's inputs (the word vectors), against overfitting a few thousand sentences. */
  dropout: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  verbose: 0 | 1 | 2 | "auto";
}

/**
 * The settings of the example and its test. Measured on 8 seeds (splits and initial weights): these
 * (Bidirectional, 16 units, input dropout 0.5) scored 0.813 on average against the baseline's 0.825
 * (gap −3.0 to +0.8 points); a plain LSTM(32) without dropout 0.792, and on the 4 seeds tried
 * without the mask (padding read as words) 0.778 against 0.793 with it.
 */
export const DEFAULTS: SentimentOptions = {
  numWords: 2000, maxlen: 32, embed: 16, units: 16, bidirectional: true, maskZero: true, dropout: 0.5,
  epochs: 30, batchSize: 32, learningRate: 5e-3, seed: 7, verbose: "auto",
};

/** Embedding(numWords, embed) → [Bidirectional] LSTM(units) → Dense(1, sigmoid). */
export function buildSentimentModel(o: SentimentOptions): Sequential {
  const lstm = layers.lstm({ units: o.units, ...(o.dropout > 0 ? { dropout: o.dropout } : {}) });
  return sequential([
    layers.input({ shape: [o.maxlen] }),
    layers.embedding({ inputDim: o.numWords, outputDim: o.embed, ...(o.maskZero ? { maskZero: true } : {}) }),
    o.bidirectional ? layers.bidirectional(lstm) : lstm,
    layers.dense({ units: 1, activation: "sigmoid" }),
  ], { seed: o.seed, name: "sentiment_lstm" });
}

/** Logistic regression on word presence: Dense(1, sigmoid) on `[batch, numWords]` multi-hot rows. */
export function buildBagOfWordsModel(numWords: number, seed: number): Sequential {
  return sequential([
    layers.input({ shape: [numWords] }),
    layers.dense({ units: 1, activation: "sigmoid" }),
  ], { seed, name: "bag_of_words_logreg" });
}

/** Share of predictions on the right side of 0.5. */
export function accuracy(model: Sequential, x: Tensor, y: Tensor): number {
  const p = model.predict(x).data;
  let right = 0;
  for (let i = 0; i < y.size; i++) right += Number((p[i]! >= 0.5 ? 1 : 0) === y.data[i]);
  return right / y.size;
}

export interface SentimentResult {
  train: number;
  test: number;
  vocabulary: number;
  lstmAccuracy: number;
  bagOfWordsAccuracy: number;
  lstmEpochs: number;
  bagOfWordsEpochs: number;
  seconds: number;
}

/** Trains both models on one split and scores them on its held-out part. */
export async function runSentiment(o: SentimentOptions, split: { train: Sentence[]; test: Sentence[] }, log: Log = () => {}): Promise<SentimentResult> {
  const t0 = performance.now();
  // The vocabulary comes from the training sentences only: test words it never saw map to id 1.
  const tokenizer = new data.Tokenizer({ numWords: o.numWords }).fitOnTexts(split.train.map((s) => s.text));
  const V = tokenizer.vocabularySize;
  const seqTrain = tokenizer.textsToSequences(split.train.map((s) => s.text));
  const seqTest = tokenizer.textsToSequences(split.test.map((s) => s.text));
  const labels = (ss: Sentence[]): Tensor => new Tensor(Float32Array.from(ss, (s) => s.label), [ss.length, 1]);
  const yTrain = labels(split.train), yTest = labels(split.test);
  const model = buildSentimentModel({ ...o, numWords: V });
  const bow = buildBagOfWordsModel(V, o.seed);
  const stop = (): ReturnType<typeof callbacks.earlyStopping> =>
    callbacks.earlyStopping({ monitor: "val_loss", patience: 4, restoreBestWeights: true });
  const fitArgs = { epochs: o.epochs, batchSize: o.batchSize, validationSplit: 0.1, verbose: o.verbose };

  for (const m of [model, bow]) {
    m.compile({ optimizer: { type: "adam", learningRate: o.learningRate, clipNorm: 1 }, loss: "binaryCrossentropy", metrics: ["accuracy"] });
  }
  log(`vocabulary ${V} ids (${tokenizer.wordCounts.size} distinct training words; 0 padding, 1 out-of-vocabulary); ` +
    `${split.train.length} training sentences (last 10% for early stopping), ${split.test.length} held out`);
  log("\n" + model.summary());
  const h1 = await model.fit(data.padSequences(seqTrain, { maxlen: o.maxlen }), yTrain, { ...fitArgs, callbacks: [stop()] });
  const lstmAccuracy = accuracy(model, data.padSequences(seqTest, { maxlen: o.maxlen }), yTest);
  log(`\nbag-of-words baseline: logistic regression on ${V} multi-hot columns, same split, same vocabulary`);
  const h2 = await bow.fit(data.bagOfWords(seqTrain, { numTokens: V }), yTrain, { ...fitArgs, callbacks: [stop()] });
  const bagOfWordsAccuracy = accuracy(bow, data.bagOfWords(seqTest, { numTokens: V }), yTest);
  return {
    train: split.train.length, test: split.test.length, vocabulary: V, lstmAccuracy, bagOfWordsAccuracy,
    lstmEpochs: h1.epoch.length, bagOfWordsEpochs: h2.epoch.length, seconds: (performance.now() - t0) / 1000,
  };
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<SentimentResult> {
  const args = parseExampleArgs(argv, "sentiment");
  const all = loadSentences();
  const split = splitSentences(args.quick ? all.slice(0, 600) : all, 0.2, args.seed);
  log(`${SENTENCES_PATH}: ${all.length} sentences (amazon, imdb, yelp; half positive)${args.quick ? ", quick mode: the first 600 (phone reviews)" : ""}`);
  const o: SentimentOptions = { ...DEFAULTS, seed: args.seed, verbose: args.verbose, epochs: args.epochs ?? (args.quick ? 2 : DEFAULTS.epochs) };
  const r = await runSentiment(o, split, log);
  const model = `Embedding → ${o.bidirectional ? "Bidirectional(LSTM)" : "LSTM"}(${o.units})${o.maskZero ? ", padding masked" : ""}`;
  log("\n" + table(["model", "epochs", "test accuracy"], [
    [model, String(r.lstmEpochs), r.lstmAccuracy],
    ["bag-of-words logistic regression", String(r.bagOfWordsEpochs), r.bagOfWordsAccuracy],
    ["chance (balanced labels)", "", 0.5],
  ]));
  await mkdir(args.out, { recursive: true });
  await writeFile(join(args.out, "sentiment.json"), JSON.stringify(r, null, 2) + "\n");
  log(`\nresults written to ${join(args.out, "sentiment.json")}`);
  return r;
}

if (isMain(import.meta.url)) runCli(main);
