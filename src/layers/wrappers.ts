// Wrappers: TimeDistributed applies a layer at every step; Bidirectional runs a recurrent layer
// both ways and merges the two.

import { Tensor } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { Layer, type LayerArgs, type LayerConfig, type Param } from "./layer.js";
import { RecurrentLayer } from "./recurrent.js";
import { checkOptions, options, layerArgsShape, oneOf } from "./options.js";

const TIME_DISTRIBUTED = options(layerArgsShape);
const BIDIRECTIONAL = options({ ...layerArgsShape, mergeMode: oneOf(["concat", "sum", "mul", "ave"] as const).optional() });

function checkWrapped(layer: unknown, where: string): void {
  if (!(layer instanceof Layer)) throw new ConfigError(`${where}: the first argument must be a layer (e.g. layers.dense({ units: 1 })), got ${layer === null ? "null" : typeof layer}`);
}

/**
 * Applies `layer` to every timestep: [B, T, ...] → [B, T, ...layer output]. Shares its weights across
 * steps. A mask from below passes through to the layers above (the wrapped layer sees single steps).
 */
export class TimeDistributed extends Layer {
  readonly className = "TimeDistributed";
  constructor(readonly layer: Layer, args: LayerArgs = {}) {
    super(checkOptions(TIME_DISTRIBUTED, args, "timeDistributed"));
    checkWrapped(layer, "timeDistributed");
    layer.claim(this, "a timeDistributed wrapper", "timeDistributed");
  }
  protected computeBuild(inputShape: number[]): number[] {
    if (inputShape.length < 2) {
      throw new ShapeError(`layer "${this.name}" (TimeDistributed) expects input of shape [batch, time, ...], got ${fmtShape([null, ...inputShape])}`);
    }
    if (!this.layer.name) this.layer.name = `${this.name}_${this.layer.className.toLowerCase()}`;
    const inner = this.layer.build(inputShape.slice(1));
    return [inputShape[0]!, ...inner];
  }
  override allParams(): Param[] { return this.layer.allParams(); }
  override children(): Layer[] { return [this.layer]; }
  forward(x: Tensor, training: boolean): Tensor {
    this.checkInput(x);
    const B = x.shape[0]!, T = x.shape[1]!;
    this.layer.inputMask = null; // the wrapped layer sees steps, not sequences
    const y = this.layer.forward(x.reshape([B * T, ...x.shape.slice(2)]), training);
    return y.reshape([B, T, ...y.shape.slice(1)]);
  }
  backward(dy: Tensor): Tensor {
    const B = dy.shape[0]!, T = dy.shape[1]!;
    const dx = this.layer.backward(dy.reshape([B * T, ...dy.shape.slice(2)]));
    return dx.reshape([B, T, ...dx.shape.slice(1)]);
  }
  getConfig(): LayerConfig {
    return { name: this.name, layer: { className: this.layer.className, config: this.layer.getConfig() } };
  }
}

export type MergeMode = "concat" | "sum" | "mul" | "ave";

export interface BidirectionalArgs extends LayerArgs {
  /** How the two directions combine. Default "concat". */
  mergeMode?: MergeMode;
}

/**
 * Runs a recurrent layer forwards and a copy of it backwards (goBackwards) over the sequence, and
 * merges their outputs (with returnSequences the backward outputs are put back in time order).
 * Weights: the forward layer's, then the backward layer's (Keras order). Under a mask both
 * directions skip the masked steps, and with returnSequences the output at a masked step is zero (as Keras).
 */
export class Bidirectional extends Layer {
  readonly className = "Bidirectional";
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;
  private yf: Tensor | null = null;
  private yb: Tensor | null = null;
  /** The mask of the batch when returnSequences zeroes masked steps, [B, T]. */
  private seqMask: Float32Array | null = null;

  constructor(layer: Layer, args: BidirectionalArgs = {}, makeCopy: (config: LayerConfig) => Layer) {
    super(checkOptions(BIDIRECTIONAL, args, "bidirectional"));
    checkWrapped(layer, "bidirectional");
    if (!(layer instanceof RecurrentLayer)) throw new ConfigError(`bidirectional: wraps a recurrent layer (lstm, gru, simpleRnn), got ${layer.className}`);
    if (layer.stateful) throw new ConfigError("bidirectional: stateful layers are not supported inside Bidirectional");
    if (layer.returnState) throw new ConfigError("bidirectional: returnState inside Bidirectional is not supported (its output would drop the four states silently); use two recurrent layers, one with goBackwards: true, with returnState, and concatenate their outputs");
    layer.claim(this, "a bidirectional wrapper", "bidirectional");
    this.mergeMode = args.mergeMode ?? "concat";
    this.forwardLayer = layer;
    const copy = makeCopy({ ...layer.getConfig(), goBackwards: !layer.goBackwards });
    copy.claim(this, "a bidirectional wrapper", "bidirectional");
    this.backwardLayer = copy as RecurrentLayer;
  }

  protected computeBuild(inputShape: number[]): number[] {
    const base = this.name || "bidirectional";
    this.forwardLayer.name = `forward_${base}`;
    this.backwardLayer.name = `backward_${base}`;
    const out = this.forwardLayer.build(inputShape);
    this.backwardLayer.build(inputShape);
    if (this.mergeMode !== "concat") return out;
    return [...out.slice(0, -1), out[out.length - 1]! * 2];
  }

  override allParams(): Param[] { return [...this.forwardLayer.allParams(), ...this.backwardLayer.allParams()]; }
  override children(): Layer[] { return [this.forwardLayer, this.backwardLayer]; }
  override setRng(rng: Rng): void {
    this.rng = rng;
    this.forwardLayer.setRng(rng.fork());
    this.backwardLayer.setRng(rng.fork());
  }

  forward(x: Tensor, training: boolean): Tensor {
    this.checkInput(x);
    this.forwardLayer.inputMask = this.inputMask;
    this.backwardLayer.inputMask = this.inputMask;
    const yf = this.forwardLayer.forward(x, training);
    let yb = this.backwardLayer.forward(x, training);
    if (this.forwardLayer.returnSequences) yb = reverseTime(yb, this.out("ybr", yb.size));
    this.yf = yf;
    this.yb = yb;
    const y = merge(this.mergeMode, yf, yb, this.out("y", this.mergeMode === "concat" ? 2 * yf.size : yf.size));
    this.seqMask = this.forwardLayer.returnSequences ? this.inputMask : null;
    if (this.seqMask) zeroMaskedSteps(y, this.seqMask);
    return y;
  }

  backward(dy: Tensor): Tensor {
    const yf = this.requireForward(this.yf);
    const yb = this.yb!;
    if (this.seqMask) dy = zeroMaskedSteps(new Tensor(dy.data.slice(), dy.shape), this.seqMask);
    const H = yf.shape[yf.shape.length - 1]!;
    const rows = yf.size / H;
    const dyf = this.out("dyf", yf.size);
    const dyb = this.out("dyb", yb.size);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        const k = r * H + j;
        switch (this.mergeMode) {
          case "concat": dyf[k] = dy.data[r * 2 * H + j]!; dyb[k] = dy.data[r * 2 * H + H + j]!; break;
          case "sum": dyf[k] = dy.data[k]!; dyb[k] = dy.data[k]!; break;
          case "ave": dyf[k] = 0.5 * dy.data[k]!; dyb[k] = 0.5 * dy.data[k]!; break;
          case "mul": dyf[k] = dy.data[k]! * yb.data[k]!; dyb[k] = dy.data[k]! * yf.data[k]!; break;
        }
      }
    }
    let gb = new Tensor(dyb, yb.shape);
    if (this.forwardLayer.returnSequences) gb = reverseTime(gb, this.out("dybr", gb.size));
    const dxf = this.forwardLayer.backward(new Tensor(dyf, yf.shape));
    const dxb = this.backwardLayer.backward(gb);
    for (let i = 0; i < dxf.size; i++) dxf.data[i] += dxb.data[i]!;
    return dxf;
  }

  getConfig(): LayerConfig {
    return { name: this.name, mergeMode: this.mergeMode, layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() } };
  }
}

/** Zeroes, in place, the steps of x [B, T, ...] whose mask [B, T] is 0; returns x. */
function zeroMaskedSteps(x: Tensor, mask: Float32Array): Tensor {
  const F = x.size / mask.length;
  for (let r = 0; r < mask.length; r++) if (!mask[r]) x.data.fill(0, r * F, r * F + F);
  return x;
}

/** x with its time axis reversed, written into y. */
function reverseTime(x: Tensor, y: Float32Array): Tensor {
  const B = x.shape[0]!, T = x.shape[1]!, F = x.size / (B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const s = (b * T + t) * F, d = (b * T + (T - 1 - t)) * F;
    for (let k = 0; k < F; k++) y[d + k] = x.data[s + k]!;
  }
  return new Tensor(y, x.shape);
}

/** The two directions merged into y (2× a's size for concat, a's size otherwise). */
function merge(mode: MergeMode, a: Tensor, b: Tensor, y: Float32Array): Tensor {
  const H = a.shape[a.shape.length - 1]!;
  const rows = a.size / H;
  if (mode === "concat") {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < H; j++) {
        y[r * 2 * H + j] = a.data[r * H + j]!;
        y[r * 2 * H + H + j] = b.data[r * H + j]!;
      }
    }
    return new Tensor(y, [...a.shape.slice(0, -1), 2 * H]);
  }
  for (let k = 0; k < a.size; k++) {
    const u = a.data[k]!, v = b.data[k]!;
    y[k] = mode === "sum" ? u + v : mode === "mul" ? u * v : 0.5 * (u + v);
  }
  return new Tensor(y, a.shape);
}
