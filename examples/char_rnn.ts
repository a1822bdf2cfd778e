// A character-level LSTM language model (Embedding → LSTM → Dense logits) trained on the opening of
// Shakespeare's Coriolanus (data/coriolanus.txt), then generated one character at a time with a temperature
// by the trained model itself (model.predictStep keeps the LSTM's state between calls).
// Run: npx tsx examples/char_rnn.ts [--temperature 0.5] [--length 500] [--prime "MARCIUS:"] [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential, layers, callbacks, data, Tensor, Rng, plotHistory, type Sequential } from "../src/index.js";
import { isMain, parseExampleArgs, positiveInt, positiveNumber, runCli, gatesPlot, writePlots, type Log } from "./common.js";

export const TEXT_PATH = fileURLToPath(new URL("../data/coriolanus.txt", import.meta.url));

/** A character vocabulary (sorted distinct characters) and the text as ids. */
export interface Corpus {
  vocab: string[];
  ids: Int32Array;
  index: ReadonlyMap<string, number>;
  chars: data.CharVocabulary;
}

export function encode(text: string): Corpus {
  const chars = data.CharVocabulary.fromText(text);
  return { vocab: [...chars.chars], index: chars.index, ids: chars.encode(text), chars };
}

/** Entropy of the character frequencies, in nats: the loss of a model that ignores context. */
export function unigramEntropy(ids: ArrayLike<number>, vocabSize: number): number {
  const counts = new Float64Array(vocabSize);
  for (let i = 0; i < ids.length; i++) counts[ids[i]!]!++;
  let h = 0;
  for (const c of counts) if (c > 0) h -= (c / ids.length) * Math.log(c / ids.length);
  return h;
}

/**
 * Non-overlapping sequences of `seqLen` ids; the target is the input shifted by one character.
 * x and y are [n, seqLen] (class ids, as sparse cross-entropy wants them).
 */
export function sequences(ids: ArrayLike<number>, seqLen: number): { x: Tensor; y: Tensor } {
  const n = Math.floor((ids.length - 1) / seqLen);
  const x = new Float32Array(n * seqLen);
  const y = new Float32Array(n * seqLen);
  for (let s = 0; s < n; s++) {
    for (let t = 0; t < seqLen; t++) {
      x[s * seqLen + t] = ids[s * seqLen + t]!;
      y[s * seqLen + t] = ids[s * seqLen + t + 1]!;
    }
  }
  return { x: new Tensor(x, [n, seqLen]), y: new Tensor(y, [n, seqLen]) };
}

export interface CharModelOptions {
  vocabSize: number;
  seqLen: number;
  embed: number;
  units: number;
  seed: number;
}

/** Embedding(V, e) → LSTM(units, returnSequences) → Dense(V) logits (softmax lives in the loss). */
export function buildCharModel(o: CharModelOptions): Sequential {
  return sequential([
    layers.input({ shape: [o.seqLen] }),
    layers.embedding({ inputDim: o.vocabSize, outputDim: o.embed }),
    layers.lstm({ units: o.units, returnSequences: true }),
    layers.dense({ units: o.vocabSize }),
  ], { seed: o.seed, name: "char_lstm" });
}

/**
 * Generates `length` characters after `prime` with the trained model itself, one step at a time:
 * `predictStep` keeps the LSTM's state between calls, so the prime is read once and each new
 * character costs one LSTM step. Each next character is drawn from softmax(logits / temperature)
 * with a generator seeded by `seed` (same seed, same text). Prime characters outside the
 * vocabulary are skipped; an empty prime starts from a newline.
 */
export function generate(model: Sequential, corpus: Corpus, o: {
  prime: string; length: number; temperature: number; seed: number;
}): string {
  const V = corpus.vocab.length;
  let primeIds = corpus.chars.encode(o.prime, { unknown: "skip" });
  if (primeIds.length === 0) primeIds = corpus.chars.encode("\n");
  model.resetStates();
  // The whole prime in one call ([1, P] ids); the output's last V values are the last step's logits.
  const last = (y: Tensor): Float32Array => y.data.subarray(y.size - V);
  let logits = last(model.predictStep(new Tensor(Float32Array.from(primeIds), [1, primeIds.length])));
  const rng = new Rng(o.seed);
  const next = new Float32Array(1);
  let out = "";
  for (let k = 0; k < o.length; k++) {
    // softmax(logits / T): T < 1 sharpens towards the likeliest characters, T > 1 flattens.
    const id = data.sampleFromLogits(logits, o.temperature, rng);
    out += corpus.vocab[id]!;
    next[0] = id;
    logits = last(model.predictStep(new Tensor(next, [1]))); // one id, [B]: one step
  }
  model.resetStates();
  return corpus.chars.decode(primeIds) + out;
}

/**
 * Length of the longest run of characters of `sample` that also occurs somewhere in `corpus`:
 * a model that copies its training text shares runs as long as the sample.
 */
export function longestSharedRun(sample: string, corpus: string): number {
  let best = 0;
  // Only a run longer than the best so far matters, so each start extends the best by one at most
  // per successful look-up: O(sample length + best) searches.
  for (let i = 0; i + best < sample.length; i++) {
    while (i + best < sample.length && corpus.includes(sample.slice(i, i + best + 1))) best++;
  }
  return best;
}

export interface CharRnnResult {
  chars: number;
  vocab: number;
  unigramEntropy: number;
  trainLoss: number;
  valLoss: number;
  /** Longest run of generated characters (after the prime) that also occurs in the training text. */
  longestCopied: number;
  epochsRun: number;
  sample: string;
  seconds: number;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<CharRnnResult> {
  const args = parseExampleArgs(argv, "char_rnn", ["temperature", "length", "prime"]);
  const t0 = performance.now();
  const temperature = args.extra.temperature === undefined ? 0.5 : positiveNumber(args.extra.temperature, "--temperature");
  const length = args.extra.length === undefined ? (args.quick ? 80 : 500) : positiveInt(args.extra.length, "--length");
  const prime = (args.extra.prime ?? "MARCIUS:").replace(/\\n/g, "\n") + "\n";
  const epochs = args.epochs ?? (args.quick ? 1 : 30);
  const seqLen = 64;
  const embed = 32;
  const units = 128;

  let text = readFileSync(TEXT_PATH, "utf8");
  if (args.quick) text = text.slice(0, 2000);
  const corpus = encode(text);
  const V = corpus.vocab.length;
  const { x, y } = sequences(corpus.ids, seqLen);
  const n = x.shape[0]!;
  const h0 = unigramEntropy(corpus.ids, V);
  log(`${TEXT_PATH}: ${text.length} characters, vocabulary ${V}; ${n} sequences of ${seqLen} (last 10% for validation)`);
  log(`unigram entropy ${h0.toFixed(3)} nats/char (${(h0 / Math.LN2).toFixed(3)} bits): the loss of a model that ignores context`);

  const model = buildCharModel({ vocabSize: V, seqLen, embed, units, seed: args.seed });
  model.compile({
    optimizer: { type: "adam", learningRate: 5e-3, clipNorm: 1 },
    loss: { name: "sparseCategoricalCrossentropy", fromLogits: true },
    metrics: ["accuracy"],
  });
  log("\n" + model.summary());
  log(`\n${epochs} epoch${epochs === 1 ? "" : "s"}${args.quick ? " (quick mode)" : ""}`);

  // 28k training characters are few for 90k weights: stop when held-out text stops improving.
  const history = await model.fit(x, y, {
    epochs, batchSize: 16, validationSplit: 0.1, verbose: args.verbose,
    callbacks: [callbacks.earlyStopping({ monitor: "val_loss", patience: 3, restoreBestWeights: true })],
  });
  const best = history.history.val_loss!.indexOf(Math.min(...history.history.val_loss!));
  const trainLoss = history.history.loss![best]!;
  const valLoss = history.history.val_loss![best]!;
  log(`\nbest epoch ${best + 1}: loss ${trainLoss.toFixed(3)} train, ${valLoss.toFixed(3)} validation nats/char ` +
    `(${(valLoss / Math.LN2).toFixed(3)} bits; unigram ${h0.toFixed(3)})`);

  const unknown = [...new Set(prime)].filter((ch) => !corpus.index.has(ch));
  if (unknown.length > 0) log(`(prime characters not in the vocabulary are skipped: ${JSON.stringify(unknown.join(""))})`);
  const text1 = generate(model, corpus, { prime, length, temperature, seed: args.seed });
  log(`\nsample, temperature ${temperature}, seed ${args.seed}:\n${"-".repeat(40)}\n${text1}\n${"-".repeat(40)}`);
  const generated = text1.slice(text1.length - length);
  const copied = longestSharedRun(generated, text);
  log(`longest run of the ${length} generated characters found in the training text: ${copied} characters`);

  await mkdir(args.out, { recursive: true });
  await model.save(join(args.out, "model"), { overwrite: true });
  await writeFile(join(args.out, "vocab.json"), JSON.stringify(corpus.vocab) + "\n");
  await writeFile(join(args.out, "sample.txt"), text1 + "\n");
  log(`model, vocab.json and sample.txt written to ${args.out}`);
  const lstm = model.layers.find((l) => l instanceof layers.LSTM)!;
  // The model reads exactly seqLen characters, so the gates are drawn on held-out text of that length.
  const lastSeq = x.slice0(n - 1, n);
  const shown = Array.from(lastSeq.data, (id) => corpus.vocab[id]!).join("");
  await writePlots(args.out, {
    history: plotHistory(history),
    gates: gatesPlot(model.inspect(lstm.name, lastSeq), `${lstm.name} reading ${JSON.stringify(shown.slice(0, 24))}…`),
  }, "history", log);
  return {
    chars: text.length, vocab: V, unigramEntropy: h0, trainLoss, valLoss, longestCopied: copied,
    epochsRun: history.epoch.length, sample: text1, seconds: (performance.now() - t0) / 1000,
  };
}

if (isMain(import.meta.url)) runCli(main);
