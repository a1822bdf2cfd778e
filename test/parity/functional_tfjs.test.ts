// Functional models against TensorFlow.js's functional API given the same weights: an encoder–decoder
// whose encoder states start the decoder (initialState), merges, a shared layer and two outputs.
// Outputs, the gradients of every weight and of every input are compared.

import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { input, model, layers, Tensor, type Functional, type SymbolicTensor } from "../../src/index.js";
import { initTf, randomData, seedTfWeights, toOurs, toTf, readTf, maxRelDiff, type Arr } from "./twin.js";

const TOL = 1e-4;
// TF.js's recurrent layers default to hardSigmoid gates and (GRU) resetAfter false, Keras 2's
// defaults; ours are Keras 3's (sigmoid, resetAfter true). The twins use sigmoid and the classic GRU,
// which TF.js has (it lacks resetAfter).

beforeAll(initTf);

/** Gradients of mean over outputs of mean((y_k − t_k)²) w.r.t. the weights and the inputs, in tfjs. */
function tfGrads(m: tf.LayersModel, order: tf.layers.Layer[], xs: Tensor[], ts: Tensor[]): { outs: Arr[]; weights: Arr[]; inputs: Arr[] } {
  const vars = order.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
  const xt = xs.map(toTf), tt = ts.map(toTf);
  const lossOf = (...ins: tf.Tensor[]): tf.Scalar => {
    const ys = m.apply(ins, { training: false }) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(ys) ? ys : [ys];
    return list.map((y, k) => tf.mean(tf.squaredDifference(y, tt[k]!))).reduce((a, b) => tf.add(a, b)) as tf.Scalar;
  };
  const { grads } = tf.variableGrads(() => lossOf(...xt), vars);
  const weights = vars.map((v) => readTf(grads[v.name]!));
  const inputGrads = tf.grads((...ins: tf.Tensor[]) => lossOf(...ins))(xt).map(readTf);
  const ys = m.predict(xt) as tf.Tensor | tf.Tensor[];
  const outs = (Array.isArray(ys) ? ys : [ys]).map(readTf);
  return { outs, weights, inputs: inputGrads };
}

/** TF.js's weights of these layers, in this order (tfjs and ours may sort parallel branches differently). */
function tfWeightsOf(order: tf.layers.Layer[]): Arr[] {
  return order.flatMap((l) => l.getWeights().map(readTf));
}

/** Ours: the same loss (Σ_k mean squared error of output k), weights and input gradients. */
function ourGrads(m: Functional, xs: Tensor[], ts: Tensor[]): { outs: Arr[]; weights: Arr[]; inputs: Arr[] } {
  const priv = m as unknown as { prepareInputs(x: Tensor[], w: string): Tensor };
  const x = priv.prepareInputs(xs, "test");
  m.zeroGrads();
  const y = m.forward(x, false);
  const N = xs[0]!.shape[0]!;
  const sizes = m.outputShapes.map((s) => s.reduce((a, b) => a * b, 1));
  const width = sizes.reduce((a, b) => a + b, 0);
  const dy = new Float32Array(y.size);
  const outs: Arr[] = [];
  let off = 0;
  sizes.forEach((n, k) => {
    const o = new Float32Array(N * n);
    for (let r = 0; r < N; r++) {
      for (let j = 0; j < n; j++) {
        const v = y.data[r * width + off + j]!;
        o[r * n + j] = v;
        dy[r * width + off + j] = (2 * (v - ts[k]!.data[r * n + j]!)) / (N * n);
      }
    }
    outs.push({ data: o, shape: [N, ...m.outputShapes[k]!] });
    off += n;
  });
  const dx = m.backward(new Tensor(dy, y.shape));
  const inSizes = m.inputShapes.map((s) => s.reduce((a, b) => a * b, 1));
  const inWidth = inSizes.reduce((a, b) => a + b, 0);
  let ioff = 0;
  const inputs = inSizes.map((n, k) => {
    const g = new Float32Array(N * n);
    for (let r = 0; r < N; r++) g.set(dx.data.subarray(r * inWidth + ioff, r * inWidth + ioff + n), r * n);
    ioff += n;
    return { data: g, shape: [N, ...m.inputShapes[k]!] };
  });
  return { outs, weights: m.getGradients(), inputs };
}

describe("functional models match TensorFlow.js", () => {
  it("encoder–decoder: LSTM encoder states start the LSTM decoder (initialState), TimeDistributed(Dense) head", () => {
    const tEnc = tf.input({ shape: [6, 3] });
    const tDec = tf.input({ shape: [4, 2] });
    const tl = [tf.layers.lstm({ units: 5, returnState: true, recurrentActivation: "sigmoid" }), tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: "sigmoid" }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 2 }) })];
    const [, th, tc] = tl[0]!.apply(tEnc) as tf.SymbolicTensor[];
    const tSeq = tl[1]!.apply(tDec, { initialState: [th!, tc!] }) as tf.SymbolicTensor;
    const tOut = tl[2]!.apply(tSeq) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [tEnc, tDec], outputs: tOut });
    seedTfWeights(tm, 1);

    const enc = input({ shape: [6, 3] });
    const dec = input({ shape: [4, 2] });
    const [, h, c] = layers.lstm({ units: 5, returnState: true }).apply(enc) as SymbolicTensor[];
    const seq = layers.lstm({ units: 5, returnSequences: true }).apply(dec, { initialState: [h!, c!] }) as SymbolicTensor;
    const out = layers.timeDistributed(layers.dense({ units: 2 })).apply(seq) as SymbolicTensor;
    const m = model({ inputs: [enc, dec], outputs: out });
    m.setWeights(toOurs(tfWeightsOf(tl)));

    const xs = [randomData([3, 6, 3], 2), randomData([3, 4, 2], 3)];
    const ts = [randomData([3, 4, 2], 4)];
    const ref = tfGrads(tm, tl, xs, ts);
    const ours = ourGrads(m, xs, ts);
    expect(maxRelDiff(ours.outs, ref.outs)).toBeLessThan(TOL);
    expect(maxRelDiff(ours.weights, ref.weights)).toBeLessThan(TOL);
    expect(maxRelDiff(ours.inputs, ref.inputs)).toBeLessThan(TOL);
  });

  it("GRU states into a GRU decoder, a shared Dense, concatenate / add / multiply and two outputs", () => {
    const tA = tf.input({ shape: [5, 2] });
    const tB = tf.input({ shape: [3] });
    const tGru1 = tf.layers.gru({ units: 4, returnSequences: true, returnState: true, recurrentActivation: "sigmoid" });
    const tGru2 = tf.layers.gru({ units: 4, recurrentActivation: "sigmoid" });
    const tShared = tf.layers.dense({ units: 3, activation: "tanh" });
    const tDenseB = tf.layers.dense({ units: 4 });
    const tHead = tf.layers.dense({ units: 1 });
    const [tSeq, tH] = tGru1.apply(tA) as tf.SymbolicTensor[];
    const tDec = tGru2.apply(tSeq!, { initialState: [tH!] }) as tf.SymbolicTensor;
    const tS1 = tShared.apply(tDec) as tf.SymbolicTensor;
    const tS2 = tShared.apply(tDenseB.apply(tB) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const tCat = tf.layers.concatenate().apply([tS1, tS2, tf.layers.add().apply([tS1, tS2]) as tf.SymbolicTensor, tf.layers.multiply().apply([tS1, tS2]) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const tO1 = tHead.apply(tCat) as tf.SymbolicTensor;
    const order = [tGru1, tGru2, tShared, tDenseB, tHead]; // our layers' order (depth-first from the outputs)
    const tO2 = tf.layers.concatenate({ axis: 1 }).apply([tSeq!, tSeq!]) as tf.SymbolicTensor;
    const tm = tf.model({ inputs: [tA, tB], outputs: [tO1, tO2] });
    seedTfWeights(tm, 5);

    const a = input({ shape: [5, 2] });
    const b = input({ shape: [3] });
    const [seq, h] = layers.gru({ units: 4, returnSequences: true, returnState: true, resetAfter: false }).apply(a) as SymbolicTensor[];
    const decOut = layers.gru({ units: 4, resetAfter: false }).apply(seq!, { initialState: [h!] }) as SymbolicTensor;
    const shared = layers.dense({ units: 3, activation: "tanh" });
    const s1 = shared.apply(decOut) as SymbolicTensor;
    const s2 = shared.apply(layers.dense({ units: 4 }).apply(b) as SymbolicTensor) as SymbolicTensor;
    const cat = layers.concatenate().apply([s1, s2, layers.add().apply([s1, s2]) as SymbolicTensor, layers.multiply().apply([s1, s2]) as SymbolicTensor]) as SymbolicTensor;
    const o1 = layers.dense({ units: 1 }).apply(cat) as SymbolicTensor;
    const o2 = layers.concatenate({ axis: 1 }).apply([seq!, seq!]) as SymbolicTensor;
    const m = model({ inputs: [a, b], outputs: [o1, o2] });

    expect(m.layers.filter((l) => l.countParams() > 0).map((l) => l.className)).toEqual(["GRU", "GRU", "Dense", "Dense", "Dense"]);
    m.setWeights(toOurs(tfWeightsOf(order)));

    const xs = [randomData([4, 5, 2], 6), randomData([4, 3], 7)];
    const ts = [randomData([4, 1], 8), randomData([4, 10, 4], 9)];
    const ref = tfGrads(tm, order, xs, ts);
    const got = ourGrads(m, xs, ts);
    expect(maxRelDiff(got.outs, ref.outs)).toBeLessThan(TOL);
    expect(maxRelDiff(got.weights, ref.weights)).toBeLessThan(TOL);
    expect(maxRelDiff(got.inputs, ref.inputs)).toBeLessThan(TOL);
  });
});
