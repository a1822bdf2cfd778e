// Attention layers with Keras 3's semantics: Attention (Luong: dot-product or "concat" scores) and
// AdditiveAttention (Bahdanau). Inputs [query, value] or [query, value, key]; no projections inside.
//
//   scores  S[b,i,j]  = f(query[b,i,:], key[b,j,:])                                  [B, Tq, Tv]
//   weights A[b,i,:]  = softmax_j(S[b,i,:] with masked j removed), then dropout      [B, Tq, Tv]
//   output  O[b,i,:]  = Σ_j A[b,i,j] · value[b,j,:], times the query mask           [B, Tq, dv]
//
// f: "dot"       s · q·k                        (s = scale when useScale, else 1)
//    "concat"    c · Σ_d tanh(s · (q_d + k_d))  (c = concat_score_weight)
//    additive    Σ_d w_d · tanh(q_d + k_d)      (w = scale [dim] when useScale, else 1)
//
// Forward and backward are explicit loops: attention's sizes here (tens of steps, tens of features)
// make the score tensor small, and the tanh of the concat and additive scores is recomputed in
// backward rather than kept ([B, Tq, Tv, dim] would be the largest buffer of a model).

import { Tensor } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import { MultiInputLayer, Param, type LayerArgs, type LayerConfig, type CallArgs } from "./layer.js";
import { checkOptions, options, layerArgsShape, rate, bool, oneOf } from "./options.js";

/** How Attention scores a query against a key: Luong's dot product, or the tanh of their sum. */
export type AttentionScoreMode = "dot" | "concat";
const SCORE_MODES: readonly AttentionScoreMode[] = ["dot", "concat"];

const ATTENTION = options({ ...layerArgsShape, useScale: bool().optional(), scoreMode: oneOf(SCORE_MODES).optional(), dropout: rate().optional() });
const ADDITIVE = options({ ...layerArgsShape, useScale: bool().optional(), dropout: rate().optional() });

/** Options of `layers.attention` (Keras's `Attention`). */
export interface AttentionArgs extends LayerArgs {
  /** Learn a scalar `scale` (shape [], initialised to 1) that multiplies the scores. Default false. */
  useScale?: boolean;
  /** "dot" (default): query·key. "concat": Σ tanh(query + key), times a learned scalar `concat_score_weight`. */
  scoreMode?: AttentionScoreMode;
  /** Fraction of the attention weights dropped in training (survivors scaled by 1 / (1 − rate)). Default 0. */
  dropout?: number;
}

/** Options of `layers.additiveAttention` (Keras's `AdditiveAttention`). */
export interface AdditiveAttentionArgs extends LayerArgs {
  /** Learn a per-feature `scale` [dim] (glorot-uniform) that weighs the tanh terms. Default true. */
  useScale?: boolean;
  /** Fraction of the attention weights dropped in training (survivors scaled by 1 / (1 − rate)). Default 0. */
  dropout?: number;
}

/** What forward keeps for backward. */
interface Cache {
  q: Float32Array; v: Float32Array; k: Float32Array;
  B: number;
  hasKey: boolean;
  /** softmax weights before dropout [B, Tq, Tv] */
  w: Float32Array;
  /** dropout multipliers [B, Tq, Tv] (0 or 1/keep), or null */
  drop: Float32Array | null;
  /** the weights after dropout (the second output) [B, Tq, Tv] */
  wd: Float32Array;
  /** 1 where a query row had no step to attend to (every value step masked): uniform weights, no score gradient */
  empty: Uint8Array;
  qMask: Float32Array | null;
}

/**
 * The common part of Attention and AdditiveAttention: input checks, masks, softmax, dropout, the
 * weighted sum of values and their backward. Subclasses give the scores and their gradients.
 */
abstract class ScoredAttention extends MultiInputLayer {
  /** Whether the scores are scaled by a learned weight. */
  readonly useScale: boolean;
  /** Fraction of the attention weights dropped in training. */
  readonly dropout: number;
  protected Tq = 0;
  protected Tv = 0;
  /** feature size of query and key */
  protected D = 0;
  /** feature size of value (and of the output) */
  protected Dv = 0;
  private cache: Cache | null = null;

  constructor(args: LayerArgs, useScale: boolean, dropout: number) {
    super(args);
    this.useScale = useScale;
    this.dropout = dropout;
  }

  private who(): string {
    return `layer "${this.name}" (${this.className})`;
  }

  protected computeBuildCall(inputShapes: number[][], args: CallArgs): number[][] {
    const n = inputShapes.length;
    if (n < 2 || n > 3 || args.initialStates) {
      throw new ShapeError(`${this.who()} takes [query, value] or [query, value, key], got ${n} input${n === 1 ? "" : "s"}${args.initialStates ? " (initialState is for recurrent layers)" : ""}`);
    }
    const names = ["query", "value", "key"];
    inputShapes.forEach((s, k) => {
      if (s.length !== 2) throw new ShapeError(`${this.who()}: ${names[k]} must be [batch, steps, features], got ${fmtShape([null, ...s])}`);
    });
    const [q, v] = inputShapes as [number[], number[]];
    const key = inputShapes[2] ?? v;
    if (key[1] !== q[1]) {
      throw new ShapeError(`${this.who()}: query has ${q[1]} features and ${n === 3 ? "key" : "value (the key when none is given)"} ${key[1]}; scoring needs the same number`);
    }
    if (n === 3 && key[0] !== v[0]) {
      throw new ShapeError(`${this.who()}: key has ${key[0]} steps and value ${v[0]}; each value step needs its key`);
    }
    this.Tq = q[0]!; this.Tv = v[0]!; this.D = q[1]!; this.Dv = v[1]!;
    this.declareWeights(this.D);
    return this.shapesFor(args);
  }

  override callOptions(): readonly string[] {
    return ["returnAttentionScores", "useCausalMask"];
  }

  protected computeOutputShapes(args: CallArgs): number[][] {
    return this.shapesFor(args);
  }

  private shapesFor(args: CallArgs): number[][] {
    const out = [this.Tq, this.Dv];
    return args.returnAttentionScores ? [out, [this.Tq, this.Tv]] : [out];
  }

  /** Declare the layer's weights for query/key feature size `dim`. */
  protected abstract declareWeights(dim: number): void;

  /** Scores [Tq, Tv] of sample b into S (offset 0). */
  protected abstract scores(q: Float32Array, k: Float32Array, b: number, S: Float64Array): void;

  /** From dL/dS [Tq, Tv] of sample b: add to dq, dk (same layouts as q, k) and the weight gradients. */
  protected abstract scoresBackward(q: Float32Array, k: Float32Array, b: number, dS: Float64Array, dq: Float32Array, dk: Float32Array): void;

  override forwardCall(xs: Tensor[], training: boolean, args: CallArgs = {}): Tensor[] {
    if (!this.built || !this.inputShapes) throw new ConfigError(`${this.who()}: not built; apply it to [query, value] in a functional model first`);
    const n = this.inputShapes.length;
    if (!Array.isArray(xs) || xs.length !== n) {
      throw new ShapeError(`${this.who()} was built for ${n} inputs (${n === 3 ? "query, value, key" : "query, value"}), got ${Array.isArray(xs) ? xs.length : typeof xs}`);
    }
    const names = ["query", "value", "key"];
    xs.forEach((x, k) => {
      if (!(x instanceof Tensor)) throw new ShapeError(`${this.who()}: ${names[k]} must be a Tensor, got ${x === null ? "null" : typeof x}`);
      const want = this.inputShapes![k]!;
      if (x.rank !== 3 || x.shape[1] !== want[0] || x.shape[2] !== want[1]) {
        throw new ShapeError(`${this.who()}: ${names[k]} must be ${fmtShape([null, ...want])}, got ${fmtShape(x.shape)}`);
      }
    });
    const B = xs[0]!.shape[0]!;
    xs.forEach((x, k) => {
      if (x.shape[0] !== B) throw new ShapeError(`${this.who()}: query has a batch of ${B} and ${names[k]} ${x.shape[0]}; every input needs the same batch`);
    });
    const { Tq, Tv, Dv } = this;
    const q = xs[0]!.data, v = xs[1]!.data, k = (xs[2] ?? xs[1]!).data;
    const qMask = this.checkMask(this.inputMasks[0] ?? null, B, Tq, "query");
    const vMask = this.checkMask(this.inputMasks[1] ?? null, B, Tv, "value");
    const causal = args.useCausalMask === true;

    const w = new Float32Array(B * Tq * Tv);
    const empty = new Uint8Array(B * Tq);
    const S = new Float64Array(Tq * Tv);
    for (let b = 0; b < B; b++) {
      this.scores(q, k, b, S);
      for (let i = 0; i < Tq; i++) {
        const row = (b * Tq + i) * Tv;
        let max = -Infinity;
        let any = false;
        for (let j = 0; j < Tv; j++) {
          if (this.kept(vMask, causal, b, i, j)) {
            any = true;
            if (S[i * Tv + j]! > max) max = S[i * Tv + j]!;
          }
        }
        if (!any) {
          // Keras subtracts 1e9 from masked scores: in float32 a row masked throughout becomes uniform.
          empty[b * Tq + i] = 1;
          w.fill(1 / Tv, row, row + Tv);
          continue;
        }
        let sum = 0;
        for (let j = 0; j < Tv; j++) {
          const e = this.kept(vMask, causal, b, i, j) ? Math.exp(S[i * Tv + j]! - max) : 0;
          S[i * Tv + j] = e;
          sum += e;
        }
        for (let j = 0; j < Tv; j++) w[row + j] = S[i * Tv + j]! / sum;
      }
    }

    let drop: Float32Array | null = null;
    let wd = w;
    if (training && this.dropout > 0) {
      const keep = 1 - this.dropout;
      drop = new Float32Array(w.length);
      wd = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        drop[i] = this.rng.next() < keep ? 1 / keep : 0;
        wd[i] = w[i]! * drop[i]!;
      }
    }

    const y = this.out("y", B * Tq * Dv);
    y.fill(0);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < Tq; i++) {
        const yo = (b * Tq + i) * Dv;
        if (qMask && qMask[b * Tq + i] === 0) continue; // Keras multiplies the output by the query mask
        const row = (b * Tq + i) * Tv;
        for (let j = 0; j < Tv; j++) {
          const a = wd[row + j]!;
          if (a === 0) continue;
          const vo = (b * Tv + j) * Dv;
          for (let d = 0; d < Dv; d++) y[yo + d]! += a * v[vo + d]!;
        }
      }
    }
    this.cache = { q, v, k, B, hasKey: n === 3, w, drop, wd, empty, qMask };
    const out = [new Tensor(y, [B, Tq, Dv])];
    if (args.returnAttentionScores) out.push(new Tensor(drop ? wd : w.slice(), [B, Tq, Tv]));
    return out;
  }

  override backwardCall(dys: (Tensor | null)[], args: CallArgs = {}): Tensor[] {
    void args;
    const c = this.requireForward(this.cache);
    const { B, q, v, k, w, drop, wd, empty, qMask } = c;
    const { Tq, Tv, D, Dv } = this;
    const dy = dys[0] ?? null;
    const dA = dys[1] ?? null;
    if (dy && dy.size !== B * Tq * Dv) throw new ShapeError(`${this.who()}: output gradient must be ${fmtShape([B, Tq, Dv])}, got ${fmtShape(dy.shape)}`);
    if (dA && dA.size !== B * Tq * Tv) throw new ShapeError(`${this.who()}: attention-score gradient must be ${fmtShape([B, Tq, Tv])}, got ${fmtShape(dA.shape)}`);
    const dq = this.out("dq", B * Tq * D);
    const dv = this.out("dv", B * Tv * Dv);
    const dk = c.hasKey ? this.out("dk", B * Tv * D) : dv; // no key: the value is the key, its gradients add up
    dq.fill(0);
    dv.fill(0);
    if (c.hasKey) dk.fill(0);
    const dS = new Float64Array(Tq * Tv);
    const dW = new Float64Array(Tv);
    for (let b = 0; b < B; b++) {
      dS.fill(0);
      for (let i = 0; i < Tq; i++) {
        const row = (b * Tq + i) * Tv;
        const yo = (b * Tq + i) * Dv;
        const live = dy !== null && !(qMask && qMask[b * Tq + i] === 0);
        // dL/d(weights after dropout): from the output (dy·vᵀ) and from the returned weights
        for (let j = 0; j < Tv; j++) {
          let g = dA ? dA.data[row + j]! : 0;
          if (live) {
            const vo = (b * Tv + j) * Dv;
            let s = 0;
            for (let d = 0; d < Dv; d++) s += dy!.data[yo + d]! * v[vo + d]!;
            g += s;
            // dL/dvalue += weightᵀ · dy
            const a = wd[row + j]!;
            if (a !== 0) for (let d = 0; d < Dv; d++) dv[vo + d]! += a * dy!.data[yo + d]!;
          }
          dW[j] = drop ? g * drop[row + j]! : g;
        }
        if (empty[b * Tq + i]) continue;
        // softmax backward: dS = w ⊙ (dW − Σ w·dW)
        let dot = 0;
        for (let j = 0; j < Tv; j++) dot += w[row + j]! * dW[j]!;
        for (let j = 0; j < Tv; j++) dS[i * Tv + j] = w[row + j]! * (dW[j]! - dot);
      }
      this.scoresBackward(q, k, b, dS, dq, dk);
    }
    const out = [new Tensor(dq, [B, Tq, D]), new Tensor(dv, [B, Tv, Dv])];
    if (c.hasKey) out.push(new Tensor(dk, [B, Tv, D]));
    return out;
  }

  private kept(vMask: Float32Array | null, causal: boolean, b: number, i: number, j: number): boolean {
    return (!vMask || vMask[b * this.Tv + j] !== 0) && (!causal || j <= i);
  }

  private checkMask(m: Float32Array | null, B: number, T: number, what: string): Float32Array | null {
    if (m && m.length !== B * T) throw new ShapeError(`${this.who()}: the ${what} mask has ${m.length} entries, the ${what} is [${B}, ${T}]`);
    return m;
  }
}

/**
 * Dot-product attention, a.k.a. Luong-style (Keras's `Attention`). Inputs `[query, value]` or
 * `[query, value, key]` (key defaults to value): query [B, Tq, dim], value [B, Tv, dv], key
 * [B, Tv, dim]; output [B, Tq, dv]. Scores are query·key ("dot") or Σ tanh(query + key)
 * ("concat"), softmax over the value steps, then a weighted sum of the values. Padded value steps
 * get no weight, padded query steps output zeros; `useCausalMask` in `apply` keeps step i from
 * attending past step i. `returnAttentionScores: true` in `apply` adds the weights [B, Tq, Tv].
 * Weights (Keras's): `scale` [] (ones) with useScale; `concat_score_weight` [] (ones) with "concat".
 *
 * @example const context = layers.attention().apply([decoderSeq, encoderSeq])
 */
export class Attention extends ScoredAttention {
  readonly className: string = "Attention";
  /** "dot" or "concat". */
  readonly scoreMode: AttentionScoreMode;

  constructor(args: AttentionArgs = {}) {
    super(checkOptions(ATTENTION, args, "attention"), args.useScale ?? false, args.dropout ?? 0);
    this.scoreMode = args.scoreMode ?? "dot";
  }

  protected declareWeights(): void {
    if (this.useScale) this.params.push(new Param("scale", [], "ones", [1, 1]));
    if (this.scoreMode === "concat") this.params.push(new Param("concat_score_weight", [], "ones", [1, 1]));
  }

  private get scale(): number {
    return this.useScale ? this.params[0]!.value[0]! : 1;
  }

  private get concatParam(): Param {
    return this.params[this.useScale ? 1 : 0]!;
  }

  protected scores(q: Float32Array, k: Float32Array, b: number, S: Float64Array): void {
    const { Tq, Tv, D } = this;
    const s = this.scale;
    const cw = this.scoreMode === "concat" ? this.concatParam.value[0]! : 1;
    for (let i = 0; i < Tq; i++) {
      const qo = (b * Tq + i) * D;
      for (let j = 0; j < Tv; j++) {
        const ko = (b * Tv + j) * D;
        let acc = 0;
        if (this.scoreMode === "dot") {
          for (let d = 0; d < D; d++) acc += q[qo + d]! * k[ko + d]!;
          S[i * Tv + j] = s * acc;
        } else {
          for (let d = 0; d < D; d++) acc += Math.tanh(s * (q[qo + d]! + k[ko + d]!));
          S[i * Tv + j] = cw * acc;
        }
      }
    }
  }

  protected scoresBackward(q: Float32Array, k: Float32Array, b: number, dS: Float64Array, dq: Float32Array, dk: Float32Array): void {
    const { Tq, Tv, D } = this;
    const s = this.scale;
    let dScale = 0, dConcat = 0;
    const cw = this.scoreMode === "concat" ? this.concatParam.value[0]! : 1;
    for (let i = 0; i < Tq; i++) {
      const qo = (b * Tq + i) * D;
      for (let j = 0; j < Tv; j++) {
        const g = dS[i * Tv + j]!;
        if (g === 0) continue;
        const ko = (b * Tv + j) * D;
        if (this.scoreMode === "dot") {
          // S = s · q·k
          let acc = 0;
          for (let d = 0; d < D; d++) {
            acc += q[qo + d]! * k[ko + d]!;
            dq[qo + d]! += s * g * k[ko + d]!;
            dk[ko + d]! += s * g * q[qo + d]!;
          }
          dScale += g * acc;
        } else {
          // S = c · Σ tanh(s · (q + k))
          let sumT = 0;
          for (let d = 0; d < D; d++) {
            const u = q[qo + d]! + k[ko + d]!;
            const t = Math.tanh(s * u);
            sumT += t;
            const du = g * cw * (1 - t * t); // dL/d(s·u)
            dq[qo + d]! += s * du;
            dk[ko + d]! += s * du;
            dScale += du * u;
          }
          dConcat += g * sumT;
        }
      }
    }
    if (this.useScale) this.params[0]!.grad[0]! += dScale;
    if (this.scoreMode === "concat") this.concatParam.grad[0]! += dConcat;
  }

  getConfig(): LayerConfig {
    return { name: this.name, useScale: this.useScale, scoreMode: this.scoreMode, dropout: this.dropout };
  }
}

/**
 * Additive attention, a.k.a. Bahdanau-style (Keras's `AdditiveAttention`). Inputs and outputs as
 * `Attention`; scores are Σ_d scale_d · tanh(query_d + key_d). Weight (Keras's): `scale` [dim]
 * (glorot-uniform, fan-in = fan-out = dim) with useScale, which is the default.
 *
 * @example const context = layers.additiveAttention().apply([decoderSeq, encoderSeq])
 */
export class AdditiveAttention extends ScoredAttention {
  readonly className: string = "AdditiveAttention";

  constructor(args: AdditiveAttentionArgs = {}) {
    super(checkOptions(ADDITIVE, args, "additiveAttention"), args.useScale ?? true, args.dropout ?? 0);
  }

  protected declareWeights(dim: number): void {
    if (this.useScale) this.params.push(new Param("scale", [dim], "glorotUniform", [dim, dim]));
  }

  protected scores(q: Float32Array, k: Float32Array, b: number, S: Float64Array): void {
    const { Tq, Tv, D } = this;
    const w = this.useScale ? this.params[0]!.value : null;
    for (let i = 0; i < Tq; i++) {
      const qo = (b * Tq + i) * D;
      for (let j = 0; j < Tv; j++) {
        const ko = (b * Tv + j) * D;
        let acc = 0;
        for (let d = 0; d < D; d++) acc += (w ? w[d]! : 1) * Math.tanh(q[qo + d]! + k[ko + d]!);
        S[i * Tv + j] = acc;
      }
    }
  }

  protected scoresBackward(q: Float32Array, k: Float32Array, b: number, dS: Float64Array, dq: Float32Array, dk: Float32Array): void {
    const { Tq, Tv, D } = this;
    const w = this.useScale ? this.params[0]!.value : null;
    const dw = this.useScale ? new Float64Array(D) : null;
    for (let i = 0; i < Tq; i++) {
      const qo = (b * Tq + i) * D;
      for (let j = 0; j < Tv; j++) {
        const g = dS[i * Tv + j]!;
        if (g === 0) continue;
        const ko = (b * Tv + j) * D;
        for (let d = 0; d < D; d++) {
          const t = Math.tanh(q[qo + d]! + k[ko + d]!);
          if (dw) dw[d]! += g * t;
          const du = g * (w ? w[d]! : 1) * (1 - t * t);
          dq[qo + d]! += du;
          dk[ko + d]! += du;
        }
      }
    }
    if (dw) {
      const grad = this.params[0]!.grad;
      for (let d = 0; d < D; d++) grad[d]! += dw[d]!;
    }
  }

  getConfig(): LayerConfig {
    return { name: this.name, useScale: this.useScale, dropout: this.dropout };
  }
}
