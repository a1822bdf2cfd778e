// Convolution and pooling over time: conv1d, maxPooling1d, averagePooling1d, globalAveragePooling1d,
// globalMaxPooling1d. Inputs are [B, T, C] (channels last, as Keras); conv1d is im2col + one GEMM on
// the layer's backend, forward and backward.

import { Tensor } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import { INITIALIZERS, type InitializerName } from "../tensor/initializers.js";
import { checkActivation, type Activation } from "../kernels/activations.js";
import {
  geometry1d, im2col, col2im, maxPool1d, maxPool1dBackward, avgPool1d, avgPool1dBackward,
  type Padding1d, type Im2colArgs, type Pool1dArgs,
} from "../kernels/conv1d.js";
import { Layer, Param, type LayerArgs, type LayerConfig } from "./layer.js";
import { checkOptions, options, layerArgsShape, positiveInt, str, bool, oneOf } from "./options.js";

export type { Padding1d } from "../kernels/conv1d.js";

const initializer = () => oneOf(INITIALIZERS);
const CONV1D = options({
  ...layerArgsShape, filters: positiveInt(), kernelSize: positiveInt(), strides: positiveInt().optional(),
  padding: oneOf(["valid", "same", "causal"] as const).optional(), dilationRate: positiveInt().optional(),
  activation: str().optional(), useBias: bool().optional(),
  kernelInitializer: initializer().optional(), biasInitializer: initializer().optional(),
});
const POOL1D = options({
  ...layerArgsShape, poolSize: positiveInt().optional(), strides: positiveInt().optional(),
  padding: oneOf(["valid", "same"] as const).optional(),
});
const GLOBAL_POOL1D = options(layerArgsShape);

/** A per-sample input of [steps, channels], or a ShapeError naming the layer. */
function sequenceShape(layer: Layer, inputShape: number[]): [number, number] {
  if (inputShape.length !== 2) {
    throw new ShapeError(`layer "${layer.name}" (${layer.className}) expects input of shape [batch, steps, channels], got ${fmtShape([null, ...inputShape])}`);
  }
  return [inputShape[0]!, inputShape[1]!];
}

export interface Conv1DArgs extends LayerArgs {
  /** Output channels. */
  filters: number;
  /** Length of the convolution window. */
  kernelSize: number;
  /** Step between windows. Default 1. Above 1 is incompatible with dilationRate above 1 (as in Keras). */
  strides?: number;
  /**
   * "valid" (default): no padding. "same": T' = ⌈T / strides⌉, with ⌊total / 2⌋ of the zero padding
   * on the left. "causal": (kernelSize − 1)·dilationRate zeros on the left, so output t sees no input after t.
   */
  padding?: Padding1d;
  /** Spacing of the window's taps. Default 1. */
  dilationRate?: number;
  /** Default "linear". */
  activation?: Activation;
  useBias?: boolean;
  /** Default "glorotUniform" (fan-in kernelSize·inChannels, fan-out kernelSize·filters, as Keras). */
  kernelInitializer?: InitializerName;
  /** Default "zeros". */
  biasInitializer?: InitializerName;
}

/**
 * 1-D convolution over time: [B, T, C] → [B, T', filters], y = act(conv(x, kernel) + bias).
 * Weights (Keras layout): kernel [kernelSize, C, filters], bias [filters].
 *
 * @example layers.conv1d({ filters: 16, kernelSize: 3, padding: "causal", activation: "relu" })
 */
export class Conv1D extends Layer {
  readonly className = "Conv1D";
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1d;
  readonly dilationRate: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  private geo: Im2colArgs | null = null;
  private x: Tensor | null = null;
  private y: Float32Array | null = null;

  constructor(args: Conv1DArgs) {
    super(checkOptions(CONV1D, args, "conv1d"));
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? "valid";
    this.dilationRate = args.dilationRate ?? 1;
    if (this.strides > 1 && this.dilationRate > 1) {
      throw new ConfigError(`conv1d: strides ${this.strides} with dilationRate ${this.dilationRate}: strides above 1 are incompatible with dilationRate above 1 (as in Keras); set one of them to 1`);
    }
    this.activation = checkActivation(args.activation ?? "linear", "conv1d");
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? "glorotUniform";
    this.biasInitializer = args.biasInitializer ?? "zeros";
  }

  /** The window's extent in input steps: (kernelSize − 1)·dilationRate + 1. */
  get window(): number {
    return (this.kernelSize - 1) * this.dilationRate + 1;
  }

  protected computeBuild(inputShape: number[]): number[] {
    const [L, C] = sequenceShape(this, inputShape);
    const K = this.kernelSize, F = this.filters;
    const { out, padLeft } = geometry1d(L, this.window, this.strides, this.padding, `layer "${this.name}" (Conv1D, kernelSize ${K}${this.dilationRate > 1 ? `, dilationRate ${this.dilationRate}` : ""})`);
    this.geo = { B: 0, L, C, K, stride: this.strides, dilation: this.dilationRate, padLeft, out };
    this.params.push(new Param("kernel", [K, C, F], this.kernelInitializer, [K * C, K * F]));
    if (this.useBias) this.params.push(new Param("bias", [F], this.biasInitializer, [1, F]));
    return [out, F];
  }

  /** Left padding actually applied, in steps (for exporters). */
  get padLeft(): number {
    return this.geo?.padLeft ?? 0;
  }

  /** None: an output step mixes several input steps, so a mask ends here (Keras's and TF.js's Conv1D do not support masking). */
  override computeOutputMask(): Float32Array | null {
    return null;
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const g = { ...this.geo!, B: x.shape[0]! };
    const rows = g.B * g.out, KC = g.K * g.C, F = this.filters;
    const cols = this.buf("cols", rows * KC);
    im2col(g, x.data, cols);
    const y = this.out("y", rows * F);
    const be = this.backend;
    be.fillRows({ Y: y, yOff: 0, rows, N: F, bias: this.useBias ? this.params[1]!.value : null, biasOff: 0 });
    be.gemm({ transA: false, transB: false, M: rows, N: F, K: KC, A: cols, lda: KC, B: this.params[0]!.value, ldb: F, beta: 1, C: y, ldc: F });
    be.activate({ f: this.activation, x: y, y, off: 0, n: rows * F });
    this.x = x;
    this.y = y;
    return new Tensor(y, [g.B, g.out, F]);
  }

  backward(dy: Tensor): Tensor {
    const x = this.requireForward(this.x);
    const y = this.y!;
    const g = { ...this.geo!, B: x.shape[0]! };
    const rows = g.B * g.out, KC = g.K * g.C, F = this.filters;
    const be = this.backend;
    const dz = this.buf("dz", rows * F);
    be.activateBackward({ f: this.activation, y, dy: dy.data, dx: dz, off: 0, n: rows * F });
    // windows gathered again: cheap next to the GEMMs, and right even if the buffer was reused since forward
    const cols = this.buf("cols", rows * KC);
    im2col(g, x.data, cols);
    be.gemm({ transA: true, transB: false, M: KC, N: F, K: rows, A: cols, lda: KC, B: dz, ldb: F, beta: 1, C: this.params[0]!.grad, ldc: F }); // dW += colsᵀ·dz
    if (this.useBias) be.columnSums({ X: dz, rows, N: F, out: this.params[1]!.grad, outOff: 0 });
    const dcols = this.buf("dcols", rows * KC);
    be.gemm({ transA: false, transB: true, M: rows, N: KC, K: F, A: dz, lda: F, B: this.params[0]!.value, ldb: F, C: dcols, ldc: KC }); // dcols = dz·Wᵀ
    const dx = this.out("dx", x.size);
    col2im(g, dcols, dx);
    return new Tensor(dx, x.shape);
  }

  getConfig(): LayerConfig {
    return {
      name: this.name, filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding,
      dilationRate: this.dilationRate, activation: this.activation, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
      ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}),
    };
  }
}

export interface Pooling1DArgs extends LayerArgs {
  /** Window length. Default 2. */
  poolSize?: number;
  /** Step between windows. Default poolSize. */
  strides?: number;
  /** "valid" (default) or "same" (T' = ⌈T / strides⌉, ⌊total / 2⌋ of the padding on the left; padding never counts). */
  padding?: "valid" | "same";
}

/**
 * What every pooling layer shares: max or mean over windows of time, through the pooling kernels,
 * with the argmax kept for max's backward. Subclasses set the windows (computeBuild) and say
 * whether the time axis stays.
 */
abstract class PoolingBase extends Layer {
  protected abstract readonly kind: "max" | "avg";
  /** true: [B, T', C] out; false: [B, C] (global pooling). */
  protected abstract readonly keepsTime: boolean;
  protected geo: Pool1dArgs | null = null;
  protected xShape: number[] | null = null;
  private arg: Int32Array | null = null;

  /** None: pooling mixes steps (windowed) or removes the time axis (global), so a mask ends here. */
  override computeOutputMask(): Float32Array | null {
    return null;
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const g = { ...this.geo!, B: x.shape[0]! };
    const n = g.B * g.out * g.C;
    const y = this.out("y", n);
    if (this.kind === "max") {
      if (!this.arg || this.arg.length !== n) this.arg = new Int32Array(n);
      maxPool1d(g, x.data, y, this.arg);
    } else {
      avgPool1d(g, x.data, y);
    }
    this.xShape = [...x.shape];
    return new Tensor(y, this.keepsTime ? [g.B, g.out, g.C] : [g.B, g.C]);
  }

  backward(dy: Tensor): Tensor {
    const shape = this.requireForward(this.xShape);
    const g = { ...this.geo!, B: shape[0]! };
    const dx = this.out("dx", g.B * g.L * g.C);
    if (this.kind === "max") maxPool1dBackward(g, dy.data, this.arg!, dx);
    else avgPool1dBackward(g, dy.data, dx);
    return new Tensor(dx, shape);
  }
}

abstract class Pooling1D extends PoolingBase {
  protected readonly keepsTime = true;
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: "valid" | "same";

  constructor(args: Pooling1DArgs, where: string) {
    super(checkOptions(POOL1D, args, where));
    this.poolSize = args.poolSize ?? 2;
    this.strides = args.strides ?? this.poolSize;
    this.padding = args.padding ?? "valid";
  }

  /** Left padding actually applied, in steps (for exporters). */
  get padLeft(): number {
    return this.geo?.padLeft ?? 0;
  }

  protected computeBuild(inputShape: number[]): number[] {
    const [L, C] = sequenceShape(this, inputShape);
    const { out, padLeft } = geometry1d(L, this.poolSize, this.strides, this.padding, `layer "${this.name}" (${this.className}, poolSize ${this.poolSize})`);
    this.geo = { B: 0, L, C, pool: this.poolSize, stride: this.strides, padLeft, out };
    return [out, C];
  }

  getConfig(): LayerConfig {
    return {
      name: this.name, poolSize: this.poolSize, strides: this.strides, padding: this.padding,
      ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}),
    };
  }
}

/**
 * Max over windows of time: [B, T, C] → [B, T', C]. No weights.
 *
 * @example layers.maxPooling1d({ poolSize: 2 })
 */
export class MaxPooling1D extends Pooling1D {
  readonly className = "MaxPooling1D";
  protected readonly kind = "max";
  constructor(args: Pooling1DArgs = {}) {
    super(args, "maxPooling1d");
  }
}

/**
 * Mean over windows of time: [B, T, C] → [B, T', C]; with "same" padding a window divides by its
 * real entries only. No weights.
 */
export class AveragePooling1D extends Pooling1D {
  readonly className = "AveragePooling1D";
  protected readonly kind = "avg";
  constructor(args: Pooling1DArgs = {}) {
    super(args, "averagePooling1d");
  }
}

abstract class GlobalPooling1D extends PoolingBase {
  protected readonly keepsTime = false;
  constructor(args: LayerArgs, where: string) {
    super(checkOptions(GLOBAL_POOL1D, args, where));
  }
  protected computeBuild(inputShape: number[]): number[] {
    const [L, C] = sequenceShape(this, inputShape);
    this.geo = { B: 0, L, C, pool: L, stride: L, padLeft: 0, out: 1 };
    return [C];
  }
  getConfig(): LayerConfig {
    return { name: this.name, ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}) };
  }
}

/**
 * Mean over all steps: [B, T, C] → [B, C]. No weights. Under a mask (Masking, Embedding maskZero)
 * the mean is over the real steps only, as Keras; a sequence with no real step gives zeros.
 */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  readonly className = "GlobalAveragePooling1D";
  protected readonly kind = "avg";
  /** The mask of the batch run forward ([B, T]), or null; and 1 / (real steps) per sequence. */
  private fwdMask: Float32Array | null = null;
  private inv: Float32Array | null = null;

  constructor(args: LayerArgs = {}) {
    super(args, "globalAveragePooling1d");
  }

  override forward(x: Tensor): Tensor {
    const m = this.inputMask;
    if (!m) {
      this.fwdMask = null;
      return super.forward(x);
    }
    this.checkInput(x);
    const B = x.shape[0]!, T = x.shape[1]!, C = x.shape[2]!;
    if (m.length !== B * T) {
      throw new ShapeError(`layer "${this.name}" (GlobalAveragePooling1D): its input mask has ${m.length} entries where the input ${fmtShape(x.shape)} needs [batch, time] = ${fmtShape([B, T])}, ${B * T} entries`);
    }
    const inv = new Float32Array(B);
    const y = this.out("y", B * C).fill(0);
    for (let b = 0; b < B; b++) {
      let n = 0;
      for (let t = 0; t < T; t++) {
        if (!m[b * T + t]) continue;
        n++;
        const s = (b * T + t) * C;
        for (let c = 0; c < C; c++) y[b * C + c] += x.data[s + c]!;
      }
      inv[b] = n > 0 ? 1 / n : 0;
      for (let c = 0; c < C; c++) y[b * C + c] *= inv[b]!;
    }
    this.fwdMask = m.slice();
    this.inv = inv;
    this.xShape = [...x.shape];
    return new Tensor(y, [B, C]);
  }

  override backward(dy: Tensor): Tensor {
    const m = this.fwdMask;
    if (!m) return super.backward(dy);
    const shape = this.requireForward(this.xShape);
    const B = shape[0]!, T = shape[1]!, C = shape[2]!;
    const dx = this.out("dx", B * T * C);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const d = (b * T + t) * C;
        const w = m[b * T + t] ? this.inv![b]! : 0;
        for (let c = 0; c < C; c++) dx[d + c] = w * dy.data[b * C + c]!;
      }
    }
    return new Tensor(dx, shape);
  }
}

/** Max over all steps: [B, T, C] → [B, C]. No weights. */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  readonly className = "GlobalMaxPooling1D";
  protected readonly kind = "max";
  constructor(args: LayerArgs = {}) {
    super(args, "globalMaxPooling1d");
  }
}
