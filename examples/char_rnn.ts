// A character-level LSTM language model (Embedding → LSTM → Dense logits) trained on the opening of
// Shakespeare's Coriolanus (data/coriolanus.txt), then sampled one character at a time with a temperature.
// Run: npx tsx examples/char_rnn.ts [--temperature 0.5] [--length 500] [--prime "MARCIUS:"] [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sequential, layers, callbacks, Tensor, Rng, plotHistory, type Sequential } from "../src/index.js";
import { isMain, parseExampleArgs, positiveInt, positiveNumber, runCli, gatesPlot, writePlots, type Log } from "./common.js";

export const TEXT_PATH = fileURLToPath(new URL("../data/coriolanus.txt", import.meta.url));

/** A character vocabulary: sorted distinct characters and the text as ids. */
export interface Corpus {
  vocab: string[];
  ids: Int32Array;
  index: Map<string, number>;
}

export function encode(text: string): Corpus {
  const vocab = [...new Set(text)].sort();
  const index = new Map(vocab.map((c, i) => [c, i]));
  return { vocab, index, ids: Int32Array.from(text, (c) => index.get(c)!) };
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
  /** Build the one-character, stateful twin used for sampling. */
  stateful?: boolean;
}

/** Embedding(V, e) → LSTM(units, returnSequences) → Dense(V) logits (softmax lives in the loss). */
export function buildCharModel(o: CharModelOptions): Sequential {
  return sequential([
    o.stateful ? layers.input({ shape: [1], batchSize: 1 }) : layers.input({ shape: [o.seqLen] }),
    layers.embedding({ inputDim: o.vocabSize, outputDim: o.embed }),
    layers.lstm({ units: o.units, returnSequences: true, stateful: o.stateful ?? false }),
    layers.dense({ units: o.vocabSize }),
  ], { seed: o.seed, name: o.stateful ? "char_lstm_sampler" : "char_lstm" });
}

/**
 * Samples `length` characters after `prime`. The trained weights are copied into a stateful
 * model that reads one character per call, so each new character costs one LSTM step.
 */
export function sample(trained: Sequential, corpus: Corpus, o: {
  prime: string; length: number; temperature: number; seed: number; embed: number; units: number;
}): string {
  const V = corpus.vocab.length;
  const sampler = buildCharModel({ vocabSize: V, seqLen: 1, embed: o.embed, units: o.units, seed: o.seed, stateful: true });
  sampler.setWeights(trained.getWeights());
  sampler.resetStates();
  const rng = new Rng(o.seed);
  const known = [...o.prime].filter((c) => corpus.index.has(c));
  if (known.length === 0) known.push("\n");
  let logits: Float32Array = new Float32Array(V);
  for (const c of known) logits = sampler.predict(new Tensor(Float32Array.of(corpus.index.get(c)!), [1, 1])).data;
  let out = "";
  const p = new Float64Array(V);
  for (let k = 0; k < o.length; k++) {
    // softmax(logits / T): T < 1 sharpens towards the likeliest characters, T > 1 flattens.
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[v]! / o.temperature);
    let z = 0;
    for (let v = 0; v < V; v++) z += p[v] = Math.exp(logits[v]! / o.temperature - max);
    let u = rng.next() * z;
    let id = V - 1;
    for (let v = 0; v < V; v++) {
      u -= p[v]!;
      if (u < 0) { id = v; break; }
    }
    out += corpus.vocab[id]!;
    logits = sampler.predict(new Tensor(Float32Array.of(id), [1, 1])).data;
  }
  return known.join("") + out;
}

export interface CharRnnResult {
  chars: number;
  vocab: number;
  unigramEntropy: number;
  trainLoss: number;
  valLoss: number;
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
  const text1 = sample(model, corpus, { prime, length, temperature, seed: args.seed, embed, units });
  log(`\nsample, temperature ${temperature}, seed ${args.seed}:\n${"-".repeat(40)}\n${text1}\n${"-".repeat(40)}`);

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
    chars: text.length, vocab: V, unigramEntropy: h0, trainLoss, valLoss,
    epochsRun: history.epoch.length, sample: text1, seconds: (performance.now() - t0) / 1000,
  };
}

if (isMain(import.meta.url)) runCli(main);
