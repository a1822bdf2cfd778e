// The peephole LSTM (Gers & Schmidhuber 2000): central-difference gradient checks of every weight
// (the peephole vector included), the input and the initial states under every option; p = 0 is
// the plain LSTM bit for bit; the WebAssembly kernels agree with the reference ones; and proof
// that the tolerance catches a wrong peephole gradient.

import { describe, it, expect, afterAll } from "vitest";
import * as layers from "../../src/layers/index.js";
import type { Layer, LSTM } from "../../src/layers/index.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { Rng } from "../../src/tensor/rng.js";
import { referenceBackend } from "../../src/backend/reference.js";
import { createWasmBackend } from "../../src/backend/wasm/wasm.js";
import { gradCheck, randomTensor, type GradCheckResult } from "../helpers/gradcheck.js";

// Same scheme and tolerance as test/layers/gradcheck.test.ts: float32 forwards, step 1e-2.
// Measured: the worst error of a passing check is 3.0e-4 (both backends); a flipped or dropped
// peephole block gives 0.53 and more (last describe block). Both are printed after the run.
const TOL = 1e-3;
const EPS = 1e-2;
const B = 2, T = 5, I = 3, H = 3;

function randomizeWeights(layer: Layer, seed: number, scale = 0.5): void {
  const rng = new Rng(seed);
  for (const p of layer.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-scale, scale);
}

/** A built peephole LSTM with random weights; the peephole weights drawn larger (±1.5) so their terms are not small. */
function peepholeLstm(args: Record<string, unknown>, x: Tensor, seed = 5): LSTM {
  const layer = layers.lstm({ units: H, peephole: true, ...args });
  layer.build([...x.shape.slice(1)]);
  randomizeWeights(layer, seed);
  const p = layer.allParams().find((q) => q.name === "peephole")!;
  const rng = new Rng(seed + 1);
  for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-1.5, 1.5);
  return layer;
}

function check(layer: Layer, x: Tensor, training = false, tamper?: (layer: Layer) => void): GradCheckResult {
  return gradCheck({
    x,
    forward: (inp) => {
      layer.setRng(new Rng(1234)); // same dropout masks every call
      return layer.forward(inp, training);
    },
    backward: (dy) => {
      const dx = layer.backward(dy);
      tamper?.(layer);
      return dx;
    },
    params: layer.allParams().map((p, k) => ({ name: `${k}:${p.name}`, value: p.value, grad: p.grad })),
    eps: EPS,
  });
}

let worstPass = 0; // the largest error of a check that must pass
let leastCaught = Infinity; // the smallest error of a tampered gradient that must be caught
let worstBackends = 0; // the largest relative difference between the wasm and reference kernels
afterAll(() => {
  console.log(`peephole gradient checks: worst passing error ${worstPass.toExponential(2)}, smallest caught error ${leastCaught.toExponential(2)}, wasm vs reference ${worstBackends.toExponential(2)}`);
});

function expectPass(r: GradCheckResult, names: string[]): void {
  for (const n of names) expect(r.errors[n], n).toBeLessThan(TOL);
  expect(r.worst).toBeLessThan(TOL);
  worstPass = Math.max(worstPass, r.worst);
}

describe("peephole LSTM: gradient checks", () => {
  const x = randomTensor([B, T, I], 1);

  for (const returnSequences of [false, true]) {
    for (const goBackwards of [false, true]) {
      for (const useBias of [true, false]) {
        it(`returnSequences=${returnSequences} goBackwards=${goBackwards} useBias=${useBias}: every weight and the input`, () => {
          const layer = peepholeLstm({ returnSequences, goBackwards, useBias }, x);
          const r = check(layer, x);
          const names = useBias ? ["0:kernel", "1:recurrent_kernel", "2:bias", "3:peephole", "input"] : ["0:kernel", "1:recurrent_kernel", "2:peephole", "input"];
          expect(Object.keys(r.errors).sort()).toEqual([...names].sort());
          expectPass(r, names);
        });
      }
    }
  }

  // the generic (non-fused) path of the kernels: other activations, smooth ones (softsign's second
  // derivative jumps at 0, which costs central differences 2e-3 on the plain LSTM too)
  for (const [activation, recurrentActivation] of [["sigmoid", "sigmoid"], ["tanh", "softplus"], ["sigmoid", "tanh"]] as const) {
    it(`activation=${activation}, recurrentActivation=${recurrentActivation}`, () => {
      const layer = peepholeLstm({ returnSequences: true, activation, recurrentActivation }, x);
      expectPass(check(layer, x), ["3:peephole", "input"]);
    });
  }

  it("dropout and recurrentDropout in training", () => {
    const layer = peepholeLstm({ returnSequences: true, dropout: 0.3, recurrentDropout: 0.3 }, x);
    expectPass(check(layer, x, true), ["3:peephole", "input"]);
  });

  it("returnState: the loss through the output and both final states", () => {
    const layer = peepholeLstm({ returnSequences: true, returnState: true }, x);
    let parts: Tensor[] = [];
    const r = gradCheck({
      x,
      forward: (inp) => {
        const { output, states } = layer.forwardWithState(inp, false);
        parts = [output, ...states];
        const flat = new Float32Array(parts.reduce((n, t) => n + t.size, 0));
        let o = 0;
        for (const t of parts) { flat.set(t.data, o); o += t.size; }
        return new Tensor(flat, [flat.length]);
      },
      backward: (dy) => {
        let o = 0;
        const [dOut, ...dStates] = parts.map((t) => { const s = new Tensor(dy.data.slice(o, o + t.size), t.shape); o += t.size; return s; });
        return layer.backwardWithState(dOut!, dStates).dx;
      },
      params: layer.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
      eps: EPS,
    });
    expect(parts.length).toBe(3);
    expectPass(r, ["peephole", "input"]);
  });

  it("initialState [h0, c0]: their gradients, with recurrent dropout in training", () => {
    const layer = peepholeLstm({ returnSequences: true, recurrentDropout: 0.3 }, x);
    const init = [randomTensor([B, H], 30, 0.8), randomTensor([B, H], 31, 0.8)];
    const grads = init.map((s) => new Float32Array(s.size));
    const r = gradCheck({
      x,
      forward: (inp) => {
        layer.setRng(new Rng(77));
        return layer.forwardWithState(inp, true, init).output;
      },
      backward: (dy) => {
        const { dx, dInitialState } = layer.backwardWithState(dy);
        dInitialState.forEach((d, k) => grads[k]!.set(d.data));
        return dx;
      },
      params: [
        ...layer.allParams().map((p) => ({ name: p.name, value: p.value, grad: p.grad })),
        ...init.map((s, k) => ({ name: `initialState${k}`, value: s.data, grad: grads[k]! })),
      ],
      eps: EPS,
    });
    // c0 reaches the loss through the i and f peepholes as well as through f ⊙ c0
    expectPass(r, ["peephole", "input", "initialState0", "initialState1"]);
  });

  it("stateful: the second call starts from the carried cell state", () => {
    const layer = peepholeLstm({ returnSequences: true, stateful: true }, x);
    const x1 = randomTensor([B, T, I], 22);
    layer.forward(x1, false);
    const carried = layer.forward(x, false).data.slice();
    layer.resetStates();
    const fresh = layer.forward(x, false).data;
    let diff = 0;
    for (let i = 0; i < fresh.length; i++) diff = Math.max(diff, Math.abs(carried[i]! - fresh[i]!));
    expect(diff).toBeGreaterThan(1e-2);
  });
});

describe("peephole LSTM: p = 0 is the plain LSTM", () => {
  const x = randomTensor([B, T, I], 3);
  for (const acts of [{}, { activation: "softsign", recurrentActivation: "sigmoid" }] as const) {
    it(`outputs, final states and every shared gradient agree bit for bit (${JSON.stringify(acts)})`, () => {
      const plain = layers.lstm({ units: H, returnSequences: true, ...acts });
      const peep = layers.lstm({ units: H, returnSequences: true, peephole: true, ...acts });
      plain.build([T, I]);
      peep.build([T, I]);
      randomizeWeights(plain, 9);
      plain.allParams().forEach((p, k) => peep.allParams()[k]!.value.set(p.value));
      expect(peep.allParams()[3]!.name).toBe("peephole");
      expect(Array.from(peep.allParams()[3]!.value)).toEqual(new Array(3 * H).fill(0)); // the default initializer is zeros
      const a = plain.forwardWithState(x, false), b = peep.forwardWithState(x, false);
      expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
      b.states.forEach((s, k) => expect(Array.from(s.data)).toEqual(Array.from(a.states[k]!.data)));
      const dy = randomTensor([B, T, H], 4);
      for (const p of [...plain.allParams(), ...peep.allParams()]) p.grad.fill(0);
      const da = plain.backward(dy), db = peep.backward(dy);
      expect(Array.from(db.data)).toEqual(Array.from(da.data));
      plain.allParams().forEach((p, k) => expect(Array.from(peep.allParams()[k]!.grad)).toEqual(Array.from(p.grad)));
      // and the peephole gradient is not zero: p = 0 is a point the optimizer moves away from
      expect(Math.max(...Array.from(peep.allParams()[3]!.grad).map(Math.abs))).toBeGreaterThan(1e-3);
    });
  }
});

describe("peephole LSTM: the WebAssembly kernels match the reference", () => {
  const wasm = createWasmBackend();
  for (const [Bn, Tn, Hn] of [[1, 4, 3], [3, 6, 8], [5, 3, 13]] as const) {
    it(`B=${Bn} T=${Tn} H=${Hn}: outputs, states, dx and every weight gradient within 1e-5 relative`, () => {
      expect(wasm).not.toBeNull();
      const x = randomTensor([Bn, Tn, 4], 11);
      const run = (backend: typeof referenceBackend | NonNullable<typeof wasm>): Float32Array[] => {
        const layer = layers.lstm({ units: Hn, returnSequences: true, peephole: true, recurrentDropout: 0.2 });
        layer.setBackend(backend);
        layer.build([Tn, 4]);
        randomizeWeights(layer, 12, 0.8);
        layer.setRng(new Rng(5));
        const init = [randomTensor([Bn, Hn], 13), randomTensor([Bn, Hn], 14)];
        const { output, states } = layer.forwardWithState(x, true, init);
        const out = [output.data.slice(), ...states.map((s) => s.data.slice())];
        const { dx, dInitialState } = layer.backwardWithState(randomTensor([Bn, Tn, Hn], 15), [randomTensor([Bn, Hn], 16), randomTensor([Bn, Hn], 17)]);
        return [...out, dx.data.slice(), ...dInitialState.map((d) => d.data.slice()), ...layer.allParams().map((p) => p.grad.slice())];
      };
      const a = run(referenceBackend), b = run(wasm!);
      expect(b.length).toBe(a.length);
      a.forEach((ref, k) => {
        let scale = 0, diff = 0;
        for (let i = 0; i < ref.length; i++) {
          scale = Math.max(scale, Math.abs(ref[i]!));
          diff = Math.max(diff, Math.abs(ref[i]! - b[k]![i]!));
        }
        expect(diff / Math.max(scale, 1e-3), `buffer ${k}`).toBeLessThan(1e-5);
        worstBackends = Math.max(worstBackends, diff / Math.max(scale, 1e-3));
      });
    });
  }
});

describe("peephole LSTM: the check catches a wrong peephole gradient", () => {
  const x = randomTensor([B, T, I], 1);
  const tampered = (f: (dP: Float32Array) => void): GradCheckResult => {
    const layer = peepholeLstm({ returnSequences: true }, x);
    return check(layer, x, false, (l) => f(l.allParams()[3]!.grad));
  };

  it("a flipped sign on the output-gate block", () => {
    const r = tampered((dP) => { for (let j = 2 * H; j < 3 * H; j++) dP[j] = -dP[j]!; });
    leastCaught = Math.min(leastCaught, r.errors["3:peephole"]!);
    expect(r.errors["3:peephole"]).toBeGreaterThan(30 * TOL);
  });

  it("a dropped forget-gate block", () => {
    const r = tampered((dP) => dP.fill(0, H, 2 * H));
    leastCaught = Math.min(leastCaught, r.errors["3:peephole"]!);
    expect(r.errors["3:peephole"]).toBeGreaterThan(30 * TOL);
  });

  it("the peephole weights change the output (they are used at all)", () => {
    const layer = peepholeLstm({ returnSequences: true }, x);
    const y1 = layer.forward(x, false).data.slice();
    layer.allParams()[3]!.value.fill(0);
    const y0 = layer.forward(x, false).data;
    let diff = 0;
    for (let i = 0; i < y0.length; i++) diff = Math.max(diff, Math.abs(y1[i]! - y0[i]!));
    expect(diff).toBeGreaterThan(1e-2);
  });
});
