// An attention encoder–decoder in the functional API, on a task where attention is the whole
// story: reverse a sequence of 12 random digits. The encoder LSTM reads the one-hot digits and hands
// its states to the decoder LSTM, which is fed only the output position; dot-product attention
// (Luong) from each decoder step over the encoder's outputs gives a context vector, concatenated
// with the decoder's output before the softmax over the ten digits. The same network without
// attention must squeeze all 12 digits through the encoder's final state. Both train for the same
// epochs on the same data; the chart shows where each output step looked: the anti-diagonal.
// Run: npx tsx examples/attention_encdec.ts [--epochs N] [--quick] [--out DIR] [--seed N] [--verbose 0|1|2]

import { layers, model, input, plotAttention, plotHistory, Rng, Tensor, type Functional, type SymbolicTensor } from "../src/index.js";
import { isMain, parseExampleArgs, runCli, table, writePlots, type Log } from "./common.js";

const DIGITS = 10;
const STEPS = 12;
const UNITS = 32;

export interface ReversalData {
  /** one-hot digits [N, STEPS, DIGITS] */
  digits: Tensor;
  /** one-hot output positions [N, STEPS, STEPS]: the decoder's only input */
  positions: Tensor;
  /** the digits reversed, as class ids [N, STEPS] */
  reversed: Tensor;
  /** the digits as ids, [N][STEPS] */
  ids: number[][];
}

/** `n` random digit sequences and their reversals. */
export function reversalData(n: number, seed: number): ReversalData {
  const rng = new Rng(seed);
  const digits = new Float32Array(n * STEPS * DIGITS);
  const positions = new Float32Array(n * STEPS * STEPS);
  const reversed = new Float32Array(n * STEPS);
  const ids: number[][] = [];
  for (let s = 0; s < n; s++) {
    const d = Array.from({ length: STEPS }, () => rng.int(DIGITS));
    ids.push(d);
    for (let t = 0; t < STEPS; t++) {
      digits[(s * STEPS + t) * DIGITS + d[t]!] = 1;
      positions[(s * STEPS + t) * STEPS + t] = 1;
      reversed[s * STEPS + t] = d[STEPS - 1 - t]!;
    }
  }
  return {
    digits: new Tensor(digits, [n, STEPS, DIGITS]),
    positions: new Tensor(positions, [n, STEPS, STEPS]),
    reversed: new Tensor(reversed, [n, STEPS]),
    ids,
  };
}

/**
 * The encoder–decoder, with or without attention. With `scores`, the attention weights are a
 * second output (for the chart; the trained weights are copied in, the layers are the same).
 */
export function encoderDecoder(opts: { attention: boolean; scores?: boolean; seed: number }): Functional {
  const digits = input({ shape: [STEPS, DIGITS], name: "digits" });
  const positions = input({ shape: [STEPS, STEPS], name: "positions" });
  const [encoded, h, c] = layers.lstm({ units: UNITS, returnSequences: true, returnState: true, name: "encoder" }).apply(digits) as SymbolicTensor[];
  const decoded = layers.lstm({ units: UNITS, returnSequences: true, name: "decoder" }).apply(positions, { initialState: [h!, c!] }) as SymbolicTensor;
  let features = decoded;
  let weights: SymbolicTensor | null = null;
  if (opts.attention) {
    const att = layers.attention({ useScale: true, name: "attention" }).apply([decoded, encoded!], { returnAttentionScores: opts.scores ?? false });
    const context = Array.isArray(att) ? att[0]! : att;
    if (Array.isArray(att)) weights = att[1]!;
    features = layers.concatenate({ name: "decoder_and_context" }).apply([decoded, context]) as SymbolicTensor;
  }
  const probs = layers.dense({ units: DIGITS, activation: "softmax", name: "digit" }).apply(features) as SymbolicTensor;
  return model({
    inputs: [digits, positions], outputs: weights ? [probs, weights] : probs, seed: opts.seed,
    name: opts.attention ? "attention_seq2seq" : "plain_seq2seq",
  });
}

/** Per-digit and whole-sequence accuracy of predicted probabilities [N, STEPS, DIGITS]. */
export function accuracy(probs: Tensor, target: Tensor): { digit: number; sequence: number } {
  const N = target.shape[0]!;
  let digits = 0, sequences = 0;
  for (let s = 0; s < N; s++) {
    let all = true;
    for (let t = 0; t < STEPS; t++) {
      const i = s * STEPS + t;
      let best = 0;
      for (let k = 1; k < DIGITS; k++) if (probs.data[i * DIGITS + k]! > probs.data[i * DIGITS + best]!) best = k;
      if (best === target.data[i]) digits++;
      else all = false;
    }
    if (all) sequences++;
  }
  return { digit: digits / (N * STEPS), sequence: sequences / N };
}

export interface AttentionResult {
  attentionAccuracy: number;
  plainAccuracy: number;
  attentionSequenceAccuracy: number;
  plainSequenceAccuracy: number;
  /** mean attention weight of output step t on input step STEPS − 1 − t, over the test set */
  antiDiagonalWeight: number;
  epochs: number;
  seconds: number;
}

export async function main(argv: string[] = [], log: Log = console.log): Promise<AttentionResult> {
  const args = parseExampleArgs(argv, "attention_encdec");
  const t0 = performance.now();
  const epochs = args.epochs ?? (args.quick ? 1 : 6);
  const train = reversalData(args.quick ? 256 : 2000, args.seed);
  const test = reversalData(args.quick ? 64 : 500, args.seed + 1000);
  log(`Reverse ${STEPS} random digits: ${train.ids.length} training and ${test.ids.length} test sequences, ${epochs} epoch${epochs === 1 ? "" : "s"} each`);

  const rows: (string | number)[][] = [];
  const acc: Record<string, { digit: number; sequence: number }> = {};
  let trained: Functional | null = null;
  let history = null;
  for (const withAttention of [true, false]) {
    const t1 = performance.now();
    const m = encoderDecoder({ attention: withAttention, seed: args.seed });
    m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "sparseCategoricalCrossentropy" });
    const h = await m.fit([train.digits, train.positions], train.reversed, { epochs, batchSize: 32, verbose: args.verbose });
    const a = accuracy(m.predict([test.digits, test.positions]) as Tensor, test.reversed);
    const name = withAttention ? "with attention" : "without attention";
    acc[name] = a;
    rows.push([name, String(m.countParams()), a.digit, a.sequence, `${((performance.now() - t1) / 1000).toFixed(1)} s`]);
    if (withAttention) {
      trained = m;
      history = h;
    }
  }
  log(`\ntest accuracy (${test.ids.length} sequences):`);
  log(table(["encoder–decoder", "weights", "per digit", "whole sequence", "training"], rows));

  // The attention weights: the same network with the weights as a second output, the trained weights copied in.
  const viewer = encoderDecoder({ attention: true, scores: true, seed: args.seed });
  viewer.setWeights(trained!.getWeights());
  const [probs, weights] = viewer.predict([test.digits, test.positions]) as unknown as Tensor[];
  let diag = 0;
  const N = test.ids.length;
  for (let s = 0; s < N; s++) for (let t = 0; t < STEPS; t++) diag += weights!.data[(s * STEPS + t) * STEPS + (STEPS - 1 - t)]!;
  const antiDiagonalWeight = diag / (N * STEPS);
  log(`\nmean attention weight of output step t on input step ${STEPS - 1} − t: ${antiDiagonalWeight.toFixed(3)} (uniform would be ${(1 / STEPS).toFixed(3)})`);

  const predicted = Array.from({ length: STEPS }, (_, t) => {
    let best = 0;
    for (let k = 1; k < DIGITS; k++) if (probs!.data[t * DIGITS + k]! > probs!.data[t * DIGITS + best]!) best = k;
    return String(best);
  });
  await writePlots(args.out, {
    attention: plotAttention(weights!, {
      sample: 0,
      queryLabels: predicted,
      valueLabels: test.ids[0]!.map(String),
      title: `Attention while reversing ${test.ids[0]!.join("")}`,
    }),
    history: plotHistory(history!, { title: "Training loss, with attention" }),
  }, "attention", log);

  const a = acc["with attention"]!, p = acc["without attention"]!;
  return {
    attentionAccuracy: a.digit, plainAccuracy: p.digit,
    attentionSequenceAccuracy: a.sequence, plainSequenceAccuracy: p.sequence,
    antiDiagonalWeight, epochs, seconds: (performance.now() - t0) / 1000,
  };
}

if (isMain(import.meta.url)) runCli(main);
