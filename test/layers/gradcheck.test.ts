// Central-difference gradient checks of every layer and option (weights and inputs), of states
// (returned, carried, initial), of wrappers and of a whole Sequential model; plus proof that the
// tolerance catches a flipped sign, a halved gate and a dropped term.

import { describe, it, expect } from "vitest";
import * as layers from "../../src/layers/index.js";
import type { Layer, LSTM, GRU, RecurrentLayer, DenseActivation } from "../../src/layers/index.js";
import { ACTIVATIONS } from "../../src/kernels/activations.js";
import { sequential } from "../../src/models/sequential.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { gradCheck, randomTensor, type GradCheckResult } from "../helpers/gradcheck.js";
import { KINDS, makeRecurrent, type Kind } from "../helpers/recurrent.js";

// Float32 forward passes with central differences of step 1e-2: measured errors are 5e-7 … 2e-4
// (the largest: SimpleRNN with dropout), so 1e-3 leaves a 5× margin, while a flipped sign on an
// entry of 2% of the largest, a halved gate or a dropped state gradient gives 2e-2 … 1.6
// (the last describe block).
const TOL = 1e-3;
const EPS = 1e-2;
const B = 2, T = 4, I = 3, H = 3;

/** Weights uniform in ±scale, the same scheme as layerGradCheck, so checks see non-trivial values. */
function randomizeWeights(layer: Layer, seed: number, scale = 0.5): void {
  const rng = new Rng(seed);
  for (const p of layer.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-scale, scale);
}

interface CheckOpts {
  training?: boolean;
  checkInput?: boolean;
  /** Changes the analytic gradients after backward (to show the check catches errors). */
  tamper?: (layer: Layer, dx: Tensor) => void;
}

/** Gradient check of a built layer with its current weights; dropout masks fixed across calls. */
function checkLayer(layer: Layer, x: Tensor, opts: CheckOpts = {}): GradCheckResult {
  const training = opts.training ?? false;
  return gradCheck({
    x,
    forward: (inp) => {
      layer.setRng(new Rng(1234)); // same dropout masks every call
      return layer.forward(inp, training);
    },
    backward: (dy) => {
      const dx = layer.backward(dy);
      opts.tamper?.(layer, dx);
      return dx;
    },
    params: layer.allParams().map((p, k) => ({ name: `${k}:${p.name}`, value: p.value, grad: p.grad })),
    eps: EPS,
    checkInput: opts.checkInput,
  });
}

function build<L extends Layer>(layer: L, x: Tensor, seed = 5): L {
  layer.build([...x.shape.slice(1)]);
  randomizeWeights(layer, seed);
  return layer;
}

function expectPass(r: GradCheckResult): void {
  // every tensor listed, and the worst within tolerance (a NaN would fail toBeLessThan too)
  expect(Object.keys(r.errors).length).toBeGreaterThan(0);
  expect(r.worst).toBeLessThan(TOL);
}

// ---------------------------------------------------------------------------------------------
// Kink margins: relu-type and hardSigmoid checks must not straddle a kink within the step.

/** float64 SimpleRNN forward (relu or tanh, no dropout): last h [B·H] and the smallest |pre-activation| seen. */
function rnnReference(layer: RecurrentLayer, x: Tensor): { hLast: Float64Array; minAbsPre: number } {
  const [W, U, b] = layer.getWeights().map((w) => w.data);
  const Bn = x.shape[0]!, Tn = x.shape[1]!, In = x.shape[2]!, Hn = layer.units;
  const hLast = new Float64Array(Bn * Hn);
  let minAbsPre = Infinity;
  for (let s = 0; s < Bn; s++) {
    let h = new Float64Array(Hn);
    for (let k = 0; k < Tn; k++) {
      const t = layer.goBackwards ? Tn - 1 - k : k;
      const next = new Float64Array(Hn);
      for (let j = 0; j < Hn; j++) {
        let z = b ? b[j]! : 0;
        for (let i = 0; i < In; i++) z += x.data[(s * Tn + t) * In + i]! * W![i * Hn + j]!;
        for (let i = 0; i < Hn; i++) z += h[i]! * U![i * Hn + j]!;
        minAbsPre = Math.min(minAbsPre, Math.abs(z));
        next[j] = layer.activation === "relu" ? Math.max(z, 0) : Math.tanh(z);
      }
      h = next;
    }
    hLast.set(h, s * Hn);
  }
  return { hLast, minAbsPre };
}

/** hardSigmoid gates strictly inside (0.005, 0.995): pre-activations ≥ 0.025 from the kinks at ±2.5. */
function gatesInsideLinearPart(layer: LSTM | GRU, x: Tensor): boolean {
  const g = layer.className === "LSTM"
    ? (() => { const s = (layer as LSTM).inspect(x); return [s.inputGate, s.forgetGate, s.outputGate]; })()
    : (() => { const s = (layer as GRU).inspect(x); return [s.updateGate, s.resetGate]; })();
  return g.every((t) => t.data.every((v) => v > 0.005 && v < 0.995));
}

/** First input (seeds 1, 2, …) for which `ok` holds: nudges the data off kinks deterministically. */
function findInput(shape: number[], ok: (x: Tensor) => boolean, scale = 1): Tensor {
  for (let seed = 1; seed < 200; seed++) {
    const x = randomTensor(shape, seed, scale);
    if (ok(x)) return x;
  }
  throw new Error("no input found away from the kinks");
}

// ---------------------------------------------------------------------------------------------

function recurrent(kind: Kind, args: Record<string, unknown> = {}): RecurrentLayer {
  return makeRecurrent(kind, H, args);
}

describe("recurrent layers: every option combination", () => {
  const x = randomTensor([B, T, I], 11);
  for (const kind of KINDS) {
    for (const returnSequences of [false, true]) {
      for (const goBackwards of [false, true]) {
        for (const useBias of [true, false]) {
          for (const drop of [false, true]) {
            const name = `${kind} returnSequences=${returnSequences} goBackwards=${goBackwards} useBias=${useBias}` +
              (drop ? " dropout=0.3 recurrentDropout=0.4 (training, fixed masks)" : "");
            it(name, () => {
              const layer = build(recurrent(kind, {
                returnSequences, goBackwards, useBias,
                ...(drop ? { dropout: 0.3, recurrentDropout: 0.4 } : {}),
              }), x);
              const r = checkLayer(layer, x, { training: drop });
              expect(Object.keys(r.errors)).toEqual([
                "0:kernel", "1:recurrent_kernel", ...(useBias ? ["2:bias"] : []), "input",
              ]);
              expectPass(r);
            });
          }
        }
      }
    }
  }

  it("dropout masks are really applied in those checks (training output differs from inference)", () => {
    const layer = build(layers.lstm({ units: H, dropout: 0.3, recurrentDropout: 0.4 }), x);
    layer.setRng(new Rng(1234));
    const yTrain = layer.forward(x, true);
    const yInfer = layer.forward(x, false);
    let diff = 0;
    for (let i = 0; i < yTrain.size; i++) diff = Math.max(diff, Math.abs(yTrain.data[i]! - yInfer.data[i]!));
    expect(diff).toBeGreaterThan(1e-2);
  });
});

describe("recurrent layers: activations", () => {
  for (const kind of ["lstm", "gru", "gruResetBefore"] as const) {
    it(`${kind} with recurrentActivation hardSigmoid (gates kept off the kinks)`, () => {
      const layer = build(recurrent(kind, { returnSequences: true, recurrentActivation: "hardSigmoid" }), randomTensor([B, T, I], 1));
      const x = findInput([B, T, I], (c) => gatesInsideLinearPart(layer as LSTM | GRU, c));
      expectPass(checkLayer(layer, x));
    });

    // (softsign and elu are left to the dense checks, where their second-derivative kink at 0 can be avoided)
    for (const activation of ["sigmoid", "linear"] as const) {
      it(`${kind} with activation ${activation}`, () => {
        const x = randomTensor([B, T, I], 12);
        expectPass(checkLayer(build(recurrent(kind, { returnSequences: true, activation }), x), x));
      });
    }
  }

  for (const goBackwards of [false, true]) {
    it(`simpleRnn with relu (pre-activations ≥ 0.05 from 0), goBackwards=${goBackwards}`, () => {
      const layer = build(layers.simpleRnn({ units: H, activation: "relu", returnSequences: true, goBackwards }), randomTensor([B, T, I], 1));
      const x = findInput([B, T, I], (c) => rnnReference(layer, c).minAbsPre > 0.05);
      // the margin is computed on the same recurrence the layer runs: its last output matches the reference
      const { hLast } = rnnReference(layer, x);
      const y = layer.forward(x, false);
      for (let s = 0; s < B; s++) for (let j = 0; j < H; j++) {
        expect(Math.abs(y.get(s, T - 1, j) - hLast[s * H + j]!)).toBeLessThan(1e-6);
      }
      expect(hLast.some((v) => v === 0) && hLast.some((v) => v > 0)).toBe(true); // relu clips somewhere
      expectPass(checkLayer(layer, x));
    });
  }

  it("unitForgetBias true and false give equally correct gradients (it only changes the initial bias)", () => {
    const x = randomTensor([B, T, I], 13);
    for (const unitForgetBias of [true, false]) {
      const layer = layers.lstm({ units: H, returnSequences: true, unitForgetBias });
      layer.build([T, I]);
      for (const p of layer.allParams()) p.initialize(new Rng(3)); // keep the initialised bias (ones or zeros)
      expectPass(checkLayer(layer, x));
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** [output, ...states] flattened into one tensor, so L = Σ R ⊙ (output, states) depends on the states. */
function concatFlat(ts: Tensor[]): Tensor {
  const n = ts.reduce((s, t) => s + t.size, 0);
  const d = new Float32Array(n);
  let o = 0;
  for (const t of ts) { d.set(t.data, o); o += t.size; }
  return new Tensor(d, [n]);
}

function splitFlat(flat: Tensor, like: Tensor[]): Tensor[] {
  let o = 0;
  return like.map((t) => { const s = new Tensor(flat.data.slice(o, o + t.size), t.shape); o += t.size; return s; });
}

describe("states: returned, initial, carried", () => {
  const x = randomTensor([B, T, I], 21);

  for (const kind of KINDS) {
    for (const returnSequences of [false, true]) {
      it(`${kind} returnState, returnSequences=${returnSequences}: loss through output and final states`, () => {
        const layer = build(recurrent(kind, { returnSequences, returnState: true }), x);
        let shapes: Tensor[] = [];
        const r = gradCheck({
          x,
          forward: (inp) => {
            const { output, states } = layer.forwardWithState(inp, false);
            shapes = [output, ...states];
            return concatFlat(shapes);
          },
          backward: (dy) => {
            const [dOut, ...dStates] = splitFlat(dy, shapes);
            return layer.backwardWithState(dOut!, dStates).dx;
          },
          params: layer.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
          eps: EPS,
        });
        expect(shapes.length).toBe(kind === "lstm" ? 3 : 2);
        expectPass(r);
      });
    }

    it(`${kind} initial state: dInitialState (and weights, input) with recurrent dropout in training`, () => {
      const layer = build(recurrent(kind, { returnSequences: true, recurrentDropout: 0.3 }), x);
      const n = kind === "lstm" ? 2 : 1;
      const init = Array.from({ length: n }, (_, k) => randomTensor([B, H], 30 + k, 0.8));
      const initGrads = init.map((s) => new Float32Array(s.size));
      const r = gradCheck({
        x,
        forward: (inp) => {
          layer.setRng(new Rng(77));
          return layer.forwardWithState(inp, true, init).output;
        },
        backward: (dy) => {
          const { dx, dInitialState } = layer.backwardWithState(dy);
          dInitialState.forEach((d, k) => initGrads[k]!.set(d.data));
          return dx;
        },
        params: [
          ...layer.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
          ...init.map((s, k) => ({ name: `initialState${k}`, value: s.data, grad: initGrads[k]! })),
        ],
        eps: EPS,
      });
      for (let k = 0; k < n; k++) expect(r.errors[`initialState${k}`]).toBeLessThan(TOL);
      expectPass(r);
    });

    it(`${kind} stateful: the second call starts from the carried state (gradient of that call, state held fixed)`, () => {
      const layer = build(recurrent(kind, { returnSequences: true, stateful: true }), x);
      const x1 = randomTensor([B, T, I], 22);
      const base = layer.allParams().map((p) => p.value.slice());
      const firstCallWithBaseWeights = (): void => {
        const cur = layer.allParams().map((p) => p.value.slice());
        layer.allParams().forEach((p, k) => p.value.set(base[k]!));
        layer.resetStates();
        layer.forward(x1, false);
        layer.allParams().forEach((p, k) => p.value.set(cur[k]!));
      };
      // the carried state matters: the second call differs from a fresh one
      firstCallWithBaseWeights();
      const carried = layer.forward(x, false);
      layer.resetStates();
      const fresh = layer.forward(x, false);
      let diff = 0;
      for (let i = 0; i < fresh.size; i++) diff = Math.max(diff, Math.abs(carried.data[i]! - fresh.data[i]!));
      expect(diff).toBeGreaterThan(1e-2);

      const r = gradCheck({
        x,
        forward: (inp) => { firstCallWithBaseWeights(); return layer.forward(inp, false); },
        backward: (dy) => layer.backward(dy),
        params: layer.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
        eps: EPS,
      });
      expectPass(r);
    });
  }
});

// ---------------------------------------------------------------------------------------------

describe("wrappers", () => {
  const x = randomTensor([B, T, I], 41);
  for (const mergeMode of ["concat", "sum", "mul", "ave"] as const) {
    for (const returnSequences of [false, true]) {
      it(`bidirectional(lstm) mergeMode=${mergeMode} returnSequences=${returnSequences}`, () => {
        const layer = build(layers.bidirectional(layers.lstm({ units: H, returnSequences }), { mergeMode }), x);
        const r = checkLayer(layer, x);
        expect(Object.keys(r.errors).length).toBe(7); // 3 forward + 3 backward weights + input
        expectPass(r);
      });
    }
  }

  it("bidirectional(gru) with dropout in training, returnSequences", () => {
    const layer = build(layers.bidirectional(layers.gru({ units: H, returnSequences: true, dropout: 0.25, recurrentDropout: 0.25 })), x);
    expectPass(checkLayer(layer, x, { training: true }));
  });

  it("timeDistributed(dense)", () => {
    const layer = build(layers.timeDistributed(layers.dense({ units: 2, activation: "tanh" })), x);
    expectPass(checkLayer(layer, x));
  });

  it("timeDistributed(lstm) over [B, T1, T2, I]: the inner layer sees B·T1 sequences", () => {
    const x4 = randomTensor([B, 3, T, 2], 42);
    const layer = build(layers.timeDistributed(layers.lstm({ units: 2, returnSequences: true })), x4);
    expect(layer.outputShape).toEqual([3, T, 2]);
    expectPass(checkLayer(layer, x4));
  });

  it("timeDistributed(dropout) in training", () => {
    const layer = build(layers.timeDistributed(layers.dropout({ rate: 0.4 })), x);
    expectPass(checkLayer(layer, x, { training: true }));
  });

  it("repeatVector", () => {
    const x2 = randomTensor([B, 4], 43);
    const layer = build(layers.repeatVector({ n: 3 }), x2);
    const r = checkLayer(layer, x2);
    expect(Object.keys(r.errors)).toEqual(["input"]);
    expectPass(r);
  });
});

// ---------------------------------------------------------------------------------------------

// Where the first derivative jumps (relu, relu6, hardSigmoid, selu) or the second does (elu, softsign):
// a central difference straddling either is off by O(step), not O(step²).
const KINK: Partial<Record<DenseActivation, number[]>> = {
  relu: [0], relu6: [0, 6], hardSigmoid: [-2.5, 2.5], elu: [0], selu: [0], softsign: [0],
};

describe("dense, dropout, embedding, flatten", () => {
  const DENSE_ACTS: DenseActivation[] = [...ACTIVATIONS, "softmax"];
  // Piecewise-linear activations get inputs in ±3 and weights in ±2, so pre-activations reach past
  // relu6's 6 and hardSigmoid's ±2.5; central differences are exact on their linear pieces.
  const PIECEWISE_LINEAR: DenseActivation[] = ["relu", "relu6", "hardSigmoid"];
  for (const act of DENSE_ACTS) {
    for (const shape of [[B, I], [B, T, I]]) {
      it(`dense activation=${act} on ${shape.length}-D input`, () => {
        const wide = PIECEWISE_LINEAR.includes(act);
        const layer = build(layers.dense({ units: 4, activation: act }), randomTensor(shape, 1));
        if (wide) randomizeWeights(layer, 5, 2);
        const [W, b] = layer.getWeights();
        const kinks = KINK[act] ?? [];
        // pre-activations: a step of 1e-2 on a weight or input moves them by ≤ 0.03 (wide) or ≤ 0.01,
        // so keep them ≥ 0.1 or ≥ 0.02 from a kink
        const pre = (x: Tensor): number[] => {
          const out: number[] = [];
          for (let n = 0; n < x.size / I; n++) for (let j = 0; j < 4; j++) {
            let z = b!.data[j]!;
            for (let i = 0; i < I; i++) z += x.data[n * I + i]! * W!.data[i * 4 + j]!;
            out.push(z);
          }
          return out;
        };
        // … and have pre-activations on both sides of every kink, so each piece is checked
        const margin = wide ? 0.1 : 0.02;
        const ok = (z: number[]): boolean =>
          z.every((v) => kinks.every((k) => Math.abs(v - k) > margin)) &&
          kinks.every((k) => z.some((v) => v < k) && z.some((v) => v > k));
        const x = findInput(shape, (c) => ok(pre(c)), wide ? 3 : 1);
        expect(ok(pre(x))).toBe(true);
        expectPass(checkLayer(layer, x));
      });
    }
  }

  it("dense without bias", () => {
    const x = randomTensor([B, T, I], 2);
    const r = checkLayer(build(layers.dense({ units: 2, useBias: false, activation: "tanh" }), x), x);
    expect(Object.keys(r.errors)).toEqual(["0:kernel", "input"]);
    expectPass(r);
  });

  for (const shape of [[B, 5], [B, T, I]]) {
    it(`dropout rate 0.5 in training on ${shape.length}-D input`, () => {
      const x = randomTensor(shape, 3);
      const layer = build(layers.dropout({ rate: 0.5 }), x);
      layer.setRng(new Rng(1234));
      const y = layer.forward(x, true);
      expect(y.data.some((v) => v === 0)).toBe(true); // some units are dropped …
      expect(y.data.some((v, i) => Math.abs(v - 2 * x.data[i]!) < 1e-6 && v !== 0)).toBe(true); // … survivors scaled by 2
      expectPass(checkLayer(layer, x, { training: true }));
    });
  }

  it("embedding: gradients of the used rows accumulate over repeated ids; ids are not differentiated", () => {
    const ids = new Tensor(Float32Array.from([0, 2, 2, 4, 1, 2, 0, 0]), [B, T]);
    const layer = build(layers.embedding({ inputDim: 6, outputDim: 3 }), ids);
    const r = checkLayer(layer, ids, { checkInput: false });
    expect(Object.keys(r.errors)).toEqual(["0:embeddings"]);
    expectPass(r);
    // row 5 is never used: its gradient is exactly zero; row 2 is used three times
    const g = layer.getGradients()[0]!.data;
    expect(Array.from(g.subarray(15, 18))).toEqual([0, 0, 0]);
  });

  it("flatten of [B, T, I]", () => {
    const x = randomTensor([B, T, I], 4);
    const layer = build(layers.flatten(), x);
    expect(layer.outputShape).toEqual([T * I]);
    expectPass(checkLayer(layer, x));
  });
});

// ---------------------------------------------------------------------------------------------

describe("whole models through the flat parameter and gradient buffers", () => {
  function modelCheck(model: ReturnType<typeof sequential>, x: Tensor, training: boolean): GradCheckResult {
    return gradCheck({
      x,
      forward: (inp) => {
        model.layers.forEach((l, k) => l.setRng(new Rng(500 + k)));
        return model.forward(inp, training);
      },
      backward: (dy) => model.backward(dy),
      params: [{ name: "parameters", value: model.parameters, grad: model.gradients }],
      eps: EPS,
    });
  }

  it("lstm(returnSequences, dropout) → dropout → gru → dense(tanh), training", () => {
    const model = sequential([
      layers.input({ shape: [T, I] }),
      layers.lstm({ units: 4, returnSequences: true, dropout: 0.2, recurrentDropout: 0.2 }),
      layers.dropout({ rate: 0.3 }),
      layers.gru({ units: 3 }),
      layers.dense({ units: 2, activation: "tanh" }),
    ], { seed: 3 });
    expect(model.parameters.length).toBe(3 * 16 + 4 * 16 + 16 + (4 * 9 + 3 * 9 + 18) + 3 * 2 + 2);
    expectPass(modelCheck(model, randomTensor([B, T, I], 51), true));
  });

  it("bidirectional(lstm) → repeatVector → bidirectional(lstm, returnSequences) → timeDistributed(dense)", () => {
    const model = sequential([
      layers.input({ shape: [T, 1] }),
      layers.bidirectional(layers.lstm({ units: 3 })),
      layers.repeatVector({ n: 3 }),
      layers.bidirectional(layers.lstm({ units: 3, returnSequences: true })),
      layers.timeDistributed(layers.dense({ units: 1 })),
    ], { seed: 4 });
    expectPass(modelCheck(model, randomTensor([B, T, 1], 52), false));
  });
});

// ---------------------------------------------------------------------------------------------

describe("the tolerance catches wrong gradients", () => {
  const x = randomTensor([B, T, I], 61);

  it("halving the forget-gate columns of dU fails; the untouched gradient passes", () => {
    const layer = build(layers.lstm({ units: H, returnSequences: true }), x);
    expectPass(checkLayer(layer, x));
    const r = checkLayer(layer, x, {
      tamper: (l) => {
        const g = l.allParams()[1]!.grad; // recurrent_kernel [H, 4H]
        for (let row = 0; row < H; row++) for (let j = H; j < 2 * H; j++) g[row * 4 * H + j]! *= 0.5;
      },
    });
    expect(r.errors["1:recurrent_kernel"]).toBeGreaterThan(10 * TOL);
    expect(r.errors["0:kernel"]).toBeLessThan(TOL);
  });

  for (const kind of KINDS) {
    it(`${kind}: flipping the sign of one small entry (≈2% of the largest) of dW fails`, () => {
      const layer = build(recurrent(kind, { returnSequences: true }), x);
      let picked = -1;
      const r = checkLayer(layer, x, {
        tamper: (l) => {
          const g = l.allParams()[0]!.grad;
          const max = Math.max(...Array.from(g, Math.abs));
          if (picked < 0) { // the entry closest to 2% of the largest magnitude
            let best = Infinity;
            g.forEach((v, i) => { const d = Math.abs(Math.abs(v) - 0.02 * max); if (d < best) { best = d; picked = i; } });
          }
          g[picked] = -g[picked]!;
        },
      });
      expect(r.errors["0:kernel"]).toBeGreaterThan(10 * TOL);
    });
  }

  it("flipping the sign of one entry of dx fails", () => {
    const layer = build(layers.gru({ units: H, returnSequences: true }), x);
    const r = checkLayer(layer, x, { tamper: (_l, dx) => { dx.data[5] = -dx.data[5]!; } });
    expect(r.errors["input"]).toBeGreaterThan(10 * TOL);
  });

  it("dropping the cell-state gradient of returnState (dh kept) fails", () => {
    const layer = build(layers.lstm({ units: H, returnState: true }), x);
    let shapes: Tensor[] = [];
    const run = (dropC: boolean): GradCheckResult => gradCheck({
      x,
      forward: (inp) => {
        const { output, states } = layer.forwardWithState(inp, false);
        shapes = [output, ...states];
        return concatFlat(shapes);
      },
      backward: (dy) => {
        const [dOut, dh, dc] = splitFlat(dy, shapes);
        return layer.backwardWithState(dOut!, [dh!, dropC ? null : dc!]).dx;
      },
      params: layer.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
      eps: EPS,
    });
    expectPass(run(false));
    expect(run(true).worst).toBeGreaterThan(10 * TOL);
  });
});
