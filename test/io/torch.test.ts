// Parity with PyTorch through the state-dict converter: outputs, final states, dx and every weight
// gradient of our LSTM / GRU / Bidirectional against nn.LSTM / nn.GRU (fixtures: scripts/torch_fixtures.py).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { layers, Tensor, Rng, ShapeError, ConfigError } from "../../src/index.js";
import type { Layer } from "../../src/layers/layer.js";
import type { RecurrentLayer } from "../../src/layers/recurrent.js";
import { fromTorchStateDict, toTorchStateDict, type TorchStateDict, type TorchTensor, type TorchConvertOptions } from "../../src/io/torch.js";
import { rel } from "../helpers/compare.js";

// Relative to the largest reference magnitude: PyTorch ran in float32 too, so the two differ by
// rounding in a different summation order, ~1e-7 of the scale over T = 6 steps.
const TOL = 1e-5;

interface Fixture {
  config: { mode: "LSTM" | "GRU"; batch: number; time: number; input_size: number; hidden_size: number; num_layers: number; bidirectional: boolean };
  x: TorchTensor; R: TorchTensor; Rh: TorchTensor; Rc: TorchTensor | null;
  state_dict: TorchStateDict;
  output: TorchTensor; h_n: TorchTensor; c_n: TorchTensor | null;
  grads: TorchStateDict;
  dx: TorchTensor;
}

function load(name: string): Fixture {
  return JSON.parse(readFileSync(new URL(`../fixtures/torch/${name}.json`, import.meta.url), "utf8")) as Fixture;
}

const t = (f: TorchTensor): Tensor => new Tensor(Float32Array.from(f.data), f.shape);

/** Row k of a [K, B, H] tensor (h_n, c_n, Rh, Rc; K = layers × directions) as [B, H]. */
function row(f: TorchTensor, k: number): Tensor {
  const n = f.shape[1]! * f.shape[2]!;
  return new Tensor(Float32Array.from({ length: n }, (_, i) => f.data[k * n + i]!), [f.shape[1]!, f.shape[2]!]);
}

/** Features [from, from + H) of step `step` of a [B, T, F] tensor, as [B, H]. */
function stepSlice(y: Tensor, step: number, from: number, H: number): Float32Array {
  const [B, T, F] = y.shape as [number, number, number];
  const out = new Float32Array(B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) out[b * H + j] = y.data[(b * T + step) * F + from + j]!;
  return out;
}

function makeLayer(fx: Fixture): RecurrentLayer {
  const units = fx.config.hidden_size;
  return fx.config.mode === "LSTM"
    ? layers.lstm({ units, returnSequences: true })
    : layers.gru({ units, returnSequences: true, resetAfter: true });
}

function opts(fx: Fixture, layerIndex = 0): TorchConvertOptions {
  return { layer: fx.config.mode === "LSTM" ? "lstm" : "gru", bidirectional: fx.config.bidirectional, layerIndex };
}

function zeroGrads(l: Layer): void {
  for (const p of l.allParams()) p.grad.fill(0);
}

/**
 * Our gradients against PyTorch's, converted by the same converter. An LSTM's Keras bias is
 * b_ih + b_hh, so its gradient equals each of theirs: convert once with bias_hh's gradient zeroed
 * (giving bias_ih's) and once with bias_ih's zeroed, and require both to match.
 */
function expectGradients(ours: Tensor[], fx: Fixture, o: TorchConvertOptions): void {
  const variants: TorchStateDict[] = [fx.grads];
  if (o.layer === "lstm") {
    const without = (which: "ih" | "hh"): TorchStateDict => Object.fromEntries(Object.entries(fx.grads).map(([k, v]) =>
      [k, k.startsWith(`bias_${which}_`) ? { shape: v.shape, data: new Float32Array(v.data.length) } : v]));
    variants.splice(0, 1, without("hh"), without("ih"));
  }
  for (const g of variants) {
    const theirs = fromTorchStateDict(g, o);
    expect(theirs.length).toBe(ours.length);
    theirs.forEach((w, i) => {
      expect(w.shape).toEqual(ours[i]!.shape);
      expect(rel(ours[i]!.data, w.data), `weight gradient ${i}`).toBeLessThan(TOL);
    });
  }
}

describe.each(["lstm", "gru"])("PyTorch parity: %s", (name) => {
  const fx = load(name);
  const { time: T, input_size: I } = fx.config;

  it("forward: output sequence and final states", () => {
    const l = makeLayer(fx);
    l.build([T, I]);
    l.setWeights(fromTorchStateDict(fx.state_dict, opts(fx)));
    const { output, states } = l.forwardWithState(t(fx.x), false);
    expect(output.shape).toEqual(fx.output.shape);
    expect(rel(output.data, fx.output.data)).toBeLessThan(TOL);
    expect(rel(states[0]!.data, row(fx.h_n, 0).data)).toBeLessThan(TOL);
    if (fx.c_n) expect(rel(states[1]!.data, row(fx.c_n, 0).data)).toBeLessThan(TOL);
  });

  it("backward: dx and every weight gradient, with gradients into the final states", () => {
    const l = makeLayer(fx);
    l.build([T, I]);
    l.setWeights(fromTorchStateDict(fx.state_dict, opts(fx)));
    l.forwardWithState(t(fx.x), false);
    zeroGrads(l);
    const dStates = fx.Rc ? [row(fx.Rh, 0), row(fx.Rc, 0)] : [row(fx.Rh, 0)];
    const { dx } = l.backwardWithState(t(fx.R), dStates);
    expect(rel(dx.data, fx.dx.data)).toBeLessThan(TOL);
    expectGradients(l.getGradients(), fx, opts(fx));
  });
});

describe.each(["bilstm", "bigru", "bigru_stack2"])("PyTorch parity: %s (Bidirectional, concat)", (name) => {
  const fx = load(name);
  const { batch: B, time: T, input_size: I, hidden_size: H, num_layers: L } = fx.config;
  // One wrapper per PyTorch layer; layer k > 0 reads the [fwd, bwd] concatenation, 2H wide.
  const build = () => Array.from({ length: L }, (_, k) => {
    const bi = layers.bidirectional(makeLayer(fx));
    bi.build([T, k === 0 ? I : 2 * H]);
    bi.setWeights(fromTorchStateDict(fx.state_dict, opts(fx, k)));
    return bi;
  });

  /** dy += h_n's gradient for layer k: its forward half ends at step T-1, its reverse half at step 0. */
  const foldRh = (dy: Tensor, k: number): void => {
    const rf = row(fx.Rh, 2 * k), rb = row(fx.Rh, 2 * k + 1);
    for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
      dy.data[(b * T + T - 1) * 2 * H + j] += rf.data[b * H + j]!;
      dy.data[(b * T) * 2 * H + H + j] += rb.data[b * H + j]!;
    }
  };

  it("forward: concatenated sequence, h_n from its ends, c_n from the two directions", () => {
    let y = t(fx.x);
    build().forEach((bi, k) => {
      if (fx.c_n) {
        // The wrapper returns no states; the backward layer's final state is PyTorch's reverse c_n.
        expect(rel(bi.forwardLayer.forwardWithState(y, false).states[1]!.data, row(fx.c_n, 2 * k).data)).toBeLessThan(TOL);
        expect(rel(bi.backwardLayer.forwardWithState(y, false).states[1]!.data, row(fx.c_n, 2 * k + 1).data)).toBeLessThan(TOL);
      }
      y = bi.forward(y, false);
      expect(y.shape).toEqual([B, T, 2 * H]);
      expect(rel(stepSlice(y, T - 1, 0, H), row(fx.h_n, 2 * k).data)).toBeLessThan(TOL);
      expect(rel(stepSlice(y, 0, H, H), row(fx.h_n, 2 * k + 1).data)).toBeLessThan(TOL);
    });
    expect(rel(y.data, fx.output.data)).toBeLessThan(TOL);
  });

  it("backward: dx and every weight gradient (h_n's gradient folded into the outputs')", () => {
    const stack = build();
    let y = t(fx.x);
    for (const bi of stack) y = bi.forward(y, false);
    stack.forEach(zeroGrads);
    let dy = t(fx.R);
    for (let k = L - 1; k >= 0; k--) {
      foldRh(dy, k);
      dy = stack[k]!.backward(dy);
    }
    expect(rel(dy.data, fx.dx.data)).toBeLessThan(TOL);
    stack.forEach((bi, k) => expectGradients(bi.getGradients(), fx, opts(fx, k)));
  });
});

describe("PyTorch parity: 2-layer LSTM stack (num_layers=2)", () => {
  const fx = load("lstm_stack2");
  const { time: T, input_size: I, hidden_size: H } = fx.config;

  it("forward, backward and the gradients of both layers", () => {
    const l0 = makeLayer(fx), l1 = makeLayer(fx);
    l0.build([T, I]);
    l1.build([T, H]);
    l0.setWeights(fromTorchStateDict(fx.state_dict, opts(fx, 0)));
    l1.setWeights(fromTorchStateDict(fx.state_dict, opts(fx, 1)));
    const r0 = l0.forwardWithState(t(fx.x), false);
    const r1 = l1.forwardWithState(r0.output, false);
    expect(rel(r1.output.data, fx.output.data)).toBeLessThan(TOL);
    [r0, r1].forEach((r, k) => {
      expect(rel(r.states[0]!.data, row(fx.h_n, k).data)).toBeLessThan(TOL);
      expect(rel(r.states[1]!.data, row(fx.c_n!, k).data)).toBeLessThan(TOL);
    });
    zeroGrads(l0);
    zeroGrads(l1);
    const d1 = l1.backwardWithState(t(fx.R), [row(fx.Rh, 1), row(fx.Rc!, 1)]).dx;
    const { dx } = l0.backwardWithState(d1, [row(fx.Rh, 0), row(fx.Rc!, 0)]);
    expect(rel(dx.data, fx.dx.data)).toBeLessThan(TOL);
    expectGradients(l0.getGradients(), fx, opts(fx, 0));
    expectGradients(l1.getGradients(), fx, opts(fx, 1));
  });
});

describe("PyTorch parity tests can fail", () => {
  it("a GRU read without the r/z swap is far outside the tolerance", () => {
    const fx = load("gru");
    const H = fx.config.hidden_size;
    // Pre-swap PyTorch's r and z blocks so the converter's swap cancels: what a naive copy would load.
    const swapRZ = (v: TorchTensor): TorchTensor => {
      const n = v.data.length / (3 * H);
      const d = Float32Array.from(v.data);
      for (let i = 0; i < H * n; i++) [d[i], d[H * n + i]] = [d[H * n + i]!, d[i]!];
      return { shape: v.shape, data: d };
    };
    const naive = Object.fromEntries(Object.entries(fx.state_dict).map(([k, v]) => [k, swapRZ(v)]));
    const l = makeLayer(fx);
    l.build([fx.config.time, fx.config.input_size]);
    l.setWeights(fromTorchStateDict(naive, opts(fx)));
    expect(rel(l.forward(t(fx.x), false).data, fx.output.data)).toBeGreaterThan(100 * TOL);
  });
});

describe("toTorchStateDict", () => {
  const fround = (d: ArrayLike<number>): Float32Array => Float32Array.from(d);

  it.each(["lstm", "gru", "bilstm", "bigru", "lstm_stack2", "bigru_stack2"])("inverts fromTorchStateDict on %s (LSTM bias: all in bias_ih, zeros in bias_hh)", (name) => {
    const fx = load(name);
    for (let k = 0; k < fx.config.num_layers; k++) {
      const o = opts(fx, k);
      const back = toTorchStateDict(fromTorchStateDict(fx.state_dict, o), o);
      const keys = Object.keys(fx.state_dict).filter((key) => key.includes(`_l${k}`));
      expect(Object.keys(back).sort()).toEqual(keys.sort());
      for (const key of keys) {
        const want = fx.state_dict[key]!;
        expect(back[key]!.shape).toEqual(want.shape);
        if (o.layer === "lstm" && key.startsWith("bias_ih")) {
          // The summed bias rounds once to float32: equal to b_ih + b_hh within float32 rounding.
          const sum = Array.from(want.data, (v, i) => v + fx.state_dict[key.replace("bias_ih", "bias_hh")]!.data[i]!);
          expect(rel(back[key]!.data, sum)).toBeLessThan(1e-6);
        } else if (o.layer === "lstm" && key.startsWith("bias_hh")) {
          expect(Array.from(back[key]!.data).every((v) => v === 0)).toBe(true);
        } else {
          expect(back[key]!.data).toEqual(fround(want.data)); // weights and GRU biases: exact
        }
      }
    }
  });

  it.each([
    ["lstm", false, true], ["gru", false, true], ["lstm", true, true], ["gru", true, true], ["lstm", false, false], ["gru", true, false],
  ] as const)("fromTorchStateDict(toTorchStateDict(w)) === w exactly (%s, bidirectional %s, useBias %s)", (kind, bidirectional, useBias) => {
    const base = kind === "lstm" ? layers.lstm({ units: 3, useBias }) : layers.gru({ units: 3, useBias });
    const l: Layer = bidirectional ? layers.bidirectional(base) : base;
    l.build([4, 2]);
    // Every value distinct and non-zero, so any misplaced element shows.
    const rng = new Rng(11);
    for (const p of l.allParams()) for (let i = 0; i < p.size; i++) p.value[i] = rng.uniform(-1, 1);
    const w = l.getWeights();
    const o = { layer: kind, bidirectional, useBias, prefix: "rnn.", layerIndex: 2 };
    const sd = toTorchStateDict(w, o);
    expect(Object.keys(sd)).toEqual((bidirectional ? ["_l2", "_l2_reverse"] : ["_l2"]).flatMap((s) =>
      ["weight_ih", "weight_hh", ...(useBias ? ["bias_ih", "bias_hh"] : [])].map((n) => `rnn.${n}${s}`)));
    const again = fromTorchStateDict(sd, o);
    expect(again.map((a) => a.shape)).toEqual(w.map((a) => a.shape));
    again.forEach((a, i) => expect(a.data).toEqual(w[i]!.data));
  });

  it("refuses a GRU with resetAfter: false, and a wrong number of weights", () => {
    const g = layers.gru({ units: 3, resetAfter: false });
    g.build([4, 2]);
    expect(() => toTorchStateDict(g.getWeights(), { layer: "gru" })).toThrow(ConfigError);
    expect(() => toTorchStateDict(g.getWeights(), { layer: "gru" })).toThrow(/resetAfter: false/);
    expect(() => toTorchStateDict(g.getWeights(), { layer: "gru", bidirectional: true })).toThrow(ShapeError);
    const l = layers.lstm({ units: 3 });
    l.build([4, 2]);
    expect(() => toTorchStateDict(l.getWeights(), { layer: "gru" })).toThrow(/\[H, 3·H\], got \[3, 12\]/);
  });
});

describe("fromTorchStateDict errors name the key and the shapes", () => {
  const fx = load("lstm");
  const sd = fx.state_dict;

  it("missing keys", () => {
    const { bias_hh_l0: _dropped, ...rest } = sd;
    void _dropped;
    expect(() => fromTorchStateDict(rest, { layer: "lstm" })).toThrow(ConfigError);
    expect(() => fromTorchStateDict(rest, { layer: "lstm" })).toThrow(/"bias_hh_l0" is missing/);
    expect(() => fromTorchStateDict(sd, { layer: "lstm", layerIndex: 1 })).toThrow(/"weight_ih_l1" is missing/);
    expect(() => fromTorchStateDict(sd, { layer: "lstm", bidirectional: true })).toThrow(/"weight_ih_l0_reverse" is missing/);
    expect(() => fromTorchStateDict(sd, { layer: "lstm", prefix: "rnn." })).toThrow(/"rnn.weight_ih_l0" is missing/);
  });

  it("prefixed keys read the same as bare ones", () => {
    const prefixed = Object.fromEntries(Object.entries(sd).map(([k, v]) => [`encoder.rnn.${k}`, v]));
    const a = fromTorchStateDict(prefixed, { layer: "lstm", prefix: "encoder.rnn." });
    fromTorchStateDict(sd, { layer: "lstm" }).forEach((w, i) => expect(a[i]!.data).toEqual(w.data));
  });

  it("shapes that do not fit", () => {
    expect(() => fromTorchStateDict(sd, { layer: "gru" })).toThrow(ShapeError);
    expect(() => fromTorchStateDict(sd, { layer: "gru" })).toThrow(/"weight_hh_l0" .* must have shape \[3·H, H\], got \[20, 5\]/);
    const badIh = { ...sd, weight_ih_l0: { shape: [16, 5], data: new Float32Array(80) } };
    expect(() => fromTorchStateDict(badIh, { layer: "lstm" })).toThrow(/"weight_ih_l0" .* must have shape \[20, I\], got \[16, 5\]/);
    const badBias = { ...sd, bias_ih_l0: { shape: [19], data: new Float32Array(19) } };
    expect(() => fromTorchStateDict(badBias, { layer: "lstm" })).toThrow(/"bias_ih_l0" must have shape \[20\], got \[19\]/);
    const short = { ...sd, weight_hh_l0: { shape: [20, 5], data: new Float32Array(99) } };
    expect(() => fromTorchStateDict(short, { layer: "lstm" })).toThrow(/"weight_hh_l0" has shape \[20, 5\] \(100 values\) but 99 values/);
  });

  it("unsupported modules and options", () => {
    expect(() => fromTorchStateDict({ ...sd, weight_hr_l0: { shape: [3, 5], data: new Float32Array(15) } }, { layer: "lstm" })).toThrow(/proj_size/);
    expect(() => fromTorchStateDict(sd, { layer: "lstm", useBias: false })).toThrow(/"bias_ih_l0" found but useBias is false/);
    expect(() => fromTorchStateDict(sd, { layer: "rnn" as "lstm" })).toThrow(ConfigError);
    expect(() => fromTorchStateDict(sd, { layer: "lstm", layerIndex: -1 })).toThrow(ConfigError);
  });
});
