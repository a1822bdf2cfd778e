// Feed-forward layers: input, dense, dropout, embedding, flatten, repeatVector, masking.

import { Tensor, sizeOf } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import type { InitializerName } from "../tensor/initializers.js";
import { ACTIVATIONS, type Activation } from "../kernels/activations.js";
import { INITIALIZERS } from "../tensor/initializers.js";
import { Layer, Param, type LayerArgs, type LayerConfig } from "./layer.js";
import { checkOptions, options, layerArgsShape, positiveInt, rate, shape, str, bool, oneOf, finiteNumber } from "./options.js";

const initializer = () => oneOf(INITIALIZERS);
const INPUT = options({ name: layerArgsShape.name, batchSize: layerArgsShape.batchSize, shape: shape() });
const DENSE = options({
  ...layerArgsShape, units: positiveInt(), activation: str().optional(), useBias: bool().optional(),
  kernelInitializer: initializer().optional(), biasInitializer: initializer().optional(),
});
const DROPOUT = options({ ...layerArgsShape, rate: rate() });
const EMBEDDING = options({
  ...layerArgsShape, inputDim: positiveInt(), outputDim: positiveInt(),
  embeddingsInitializer: initializer().optional(), inputLength: positiveInt().optional(), maskZero: bool().optional(),
});
const FLATTEN = options(layerArgsShape);
const REPEAT_VECTOR = options({ ...layerArgsShape, n: positiveInt() });
const MASKING = options({ ...layerArgsShape, maskValue: finiteNumber().optional() });

export interface InputArgs extends LayerArgs {
  /** Shape of one sample, e.g. [timesteps, features]. */
  shape: number[];
}

/** Declares the per-sample input shape of a model; passes data through unchanged. */
export class Input extends Layer {
  readonly className = "InputLayer";
  readonly shape: number[];
  constructor(args: InputArgs) {
    super({ ...checkOptions(INPUT, args, "input"), inputShape: args.shape });
    this.shape = [...args.shape];
  }
  protected computeBuild(inputShape: number[]): number[] { return inputShape; }
  forward(x: Tensor): Tensor { this.checkInput(x); return x; }
  backward(dy: Tensor): Tensor { return dy; }
  getConfig(): LayerConfig {
    return { name: this.name, shape: this.shape, ...(this.batchSize !== null ? { batchSize: this.batchSize } : {}) };
  }
}

export type DenseActivation = Activation | "softmax";

export interface DenseArgs extends LayerArgs {
  units: number;
  /** Default "linear". "softmax" normalises over the last axis. */
  activation?: DenseActivation;
  useBias?: boolean;
  /** Default "glorotUniform". */
  kernelInitializer?: InitializerName;
  /** Default "zeros". */
  biasInitializer?: InitializerName;
}

/**
 * y = act(x W + b) over the last axis; leading axes are batch-like ([B, I] or [B, T, I]).
 * Weights: kernel [I, units] (glorotUniform), bias [units] (zeros).
 *
 * @example layers.dense({ units: 1 })
 */
export class Dense extends Layer {
  readonly className = "Dense";
  readonly units: number;
  readonly activation: DenseActivation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  private x: Tensor | null = null;
  private y: Float32Array | null = null;

  constructor(args: DenseArgs) {
    super(checkOptions(DENSE, args, "dense"));
    this.units = args.units;
    const act = args.activation ?? "linear";
    if (act !== "softmax" && !(ACTIVATIONS as readonly string[]).includes(act)) {
      throw new ConfigError(`dense: unknown activation "${act}"; choose one of ${[...ACTIVATIONS, "softmax"].join(", ")}`);
    }
    this.activation = act;
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? "glorotUniform";
    this.biasInitializer = args.biasInitializer ?? "zeros";
  }

  protected computeBuild(inputShape: number[]): number[] {
    const I = inputShape[inputShape.length - 1]!;
    this.params.push(new Param("kernel", [I, this.units], this.kernelInitializer, [I, this.units]));
    if (this.useBias) this.params.push(new Param("bias", [this.units], this.biasInitializer, [1, this.units]));
    return [...inputShape.slice(0, -1), this.units];
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const I = this.inputShape![this.inputShape!.length - 1]!;
    const N = x.size / I;
    const O = this.units;
    const y = this.out("y", N * O); // [N, O]
    const be = this.backend;
    be.fillRows({ Y: y, yOff: 0, rows: N, N: O, bias: this.useBias ? this.params[1]!.value : null, biasOff: 0 });
    be.gemm({ transA: false, transB: false, M: N, N: O, K: I, A: x.data, lda: I, B: this.params[0]!.value, ldb: O, beta: 1, C: y, ldc: O });
    if (this.activation === "softmax") be.softmax({ x: y, y, rows: N, n: O });
    else be.activate({ f: this.activation, x: y, y, off: 0, n: N * O });
    this.x = x;
    this.y = y;
    return new Tensor(y, [...x.shape.slice(0, -1), O]);
  }

  backward(dy: Tensor): Tensor {
    const x = this.requireForward(this.x);
    const y = this.y!;
    const I = this.inputShape![this.inputShape!.length - 1]!;
    const O = this.units;
    const N = x.size / I;
    const dz = this.buf("dz", N * O);
    const be = this.backend;
    if (this.activation === "softmax") be.softmaxBackward({ y, dy: dy.data, dx: dz, rows: N, n: O });
    else be.activateBackward({ f: this.activation, y, dy: dy.data, dx: dz, off: 0, n: N * O });
    be.gemm({ transA: true, transB: false, M: I, N: O, K: N, A: x.data, lda: I, B: dz, ldb: O, beta: 1, C: this.params[0]!.grad, ldc: O }); // dW += xᵀ·dz
    if (this.useBias) be.columnSums({ X: dz, rows: N, N: O, out: this.params[1]!.grad, outOff: 0 });
    const dx = this.out("dx", N * I);
    be.gemm({ transA: false, transB: true, M: N, N: I, K: O, A: dz, lda: O, B: this.params[0]!.value, ldb: O, C: dx, ldc: I }); // dx = dz·Wᵀ
    return new Tensor(dx, x.shape);
  }

  getConfig(): LayerConfig {
    return {
      name: this.name, units: this.units, activation: this.activation, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
      ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}),
    };
  }
}

export interface DropoutArgs extends LayerArgs {
  /** Fraction of inputs set to zero during training; survivors are scaled by 1 / (1 - rate). */
  rate: number;
}

/** Inverted dropout: active only in training; identity at inference. */
export class Dropout extends Layer {
  readonly className = "Dropout";
  readonly rate: number;
  private mask: Float32Array | null = null;

  constructor(args: DropoutArgs) {
    super(checkOptions(DROPOUT, args, "dropout"));
    this.rate = args.rate;
  }
  protected computeBuild(inputShape: number[]): number[] { return inputShape; }

  forward(x: Tensor, training: boolean): Tensor {
    this.checkInput(x);
    if (!training || this.rate === 0) {
      this.mask = null;
      return x;
    }
    const keep = 1 - this.rate;
    const m = this.buf("mask", x.size);
    const y = this.out("y", x.size);
    for (let i = 0; i < x.size; i++) {
      m[i] = this.rng.next() < keep ? 1 / keep : 0;
      y[i] = x.data[i]! * m[i]!;
    }
    this.mask = m;
    return new Tensor(y, x.shape);
  }

  backward(dy: Tensor): Tensor {
    if (!this.mask) return dy;
    const dx = this.out("dx", dy.size);
    for (let i = 0; i < dy.size; i++) dx[i] = dy.data[i]! * this.mask[i]!;
    return new Tensor(dx, dy.shape);
  }

  getConfig(): LayerConfig {
    return { name: this.name, rate: this.rate };
  }
}

export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size: token ids are integers in [0, inputDim). */
  inputDim: number;
  /** Size of each embedding vector. */
  outputDim: number;
  /** Default "randomUniform" (±0.05, as Keras). */
  embeddingsInitializer?: InitializerName;
  /** Sequence length, for the summary and a build without data. */
  inputLength?: number;
  /**
   * Id 0 is padding: the layer makes a mask (id ≠ 0) that the layers above skip (Keras's
   * mask_zero). Real tokens then use ids 1 … inputDim − 1. Default false.
   */
  maskZero?: boolean;
}

/**
 * Token ids [B, T] → vectors [B, T, outputDim]. Weights: embeddings [inputDim, outputDim].
 * With `maskZero` the steps whose id is 0 are masked for the layers above (variable-length sequences).
 *
 * @example layers.embedding({ inputDim: 10000, outputDim: 64, maskZero: true })
 */
export class Embedding extends Layer {
  readonly className = "Embedding";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: InitializerName;
  readonly maskZero: boolean;
  private ids: Tensor | null = null;
  private outMask: Float32Array | null = null;

  constructor(args: EmbeddingArgs) {
    checkOptions(EMBEDDING, args, "embedding");
    super({ ...args, inputShape: args.inputShape ?? (args.inputLength ? [args.inputLength] : undefined) });
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.embeddingsInitializer = args.embeddingsInitializer ?? "randomUniform";
    this.maskZero = args.maskZero ?? false;
  }

  protected computeBuild(inputShape: number[]): number[] {
    if (this.maskZero && inputShape.length !== 1) {
      throw new ShapeError(`layer "${this.name}" (Embedding) with maskZero takes token ids of shape [batch, time] (its mask is [batch, time]), got ${fmtShape([null, ...inputShape])}`);
    }
    this.params.push(new Param("embeddings", [this.inputDim, this.outputDim], this.embeddingsInitializer, [this.inputDim, this.outputDim]));
    return [...inputShape, this.outputDim];
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const D = this.outputDim;
    const E = this.params[0]!.value;
    const y = this.out("y", x.size * D);
    for (let n = 0; n < x.size; n++) {
      const id = x.data[n]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.inputDim) {
        throw new ShapeError(`layer "${this.name}" (Embedding): token id ${id} at flat position ${n} of input ${fmtShape(x.shape)} is not an integer in [0, ${this.inputDim})`);
      }
      for (let j = 0; j < D; j++) y[n * D + j] = E[id * D + j]!;
    }
    this.ids = x;
    if (this.maskZero) {
      const m = new Float32Array(x.size); // fresh per call: a graph may keep the masks of several calls
      for (let n = 0; n < x.size; n++) m[n] = x.data[n] === 0 ? 0 : 1;
      this.outMask = m;
    }
    return new Tensor(y, [...x.shape, D]);
  }

  /** With maskZero: 1 where the id is not 0, [B, T]; else the default rule (no mask: ids have no time axis of vectors yet). */
  override computeOutputMask(): Float32Array | null {
    return this.maskZero ? this.outMask : super.computeOutputMask();
  }

  backward(dy: Tensor): Tensor {
    const ids = this.requireForward(this.ids);
    const D = this.outputDim;
    const dE = this.params[0]!.grad;
    for (let n = 0; n < ids.size; n++) {
      const id = ids.data[n]!;
      for (let j = 0; j < D; j++) dE[id * D + j] += dy.data[n * D + j]!;
    }
    return new Tensor(this.out("dx", ids.size).fill(0), ids.shape); // ids are not differentiable
  }

  getConfig(): LayerConfig {
    return {
      name: this.name, inputDim: this.inputDim, outputDim: this.outputDim,
      embeddingsInitializer: this.embeddingsInitializer,
      maskZero: this.maskZero,
      ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}),
    };
  }
}

/** [B, d1, d2, ...] → [B, d1·d2·...]. */
export class Flatten extends Layer {
  readonly className = "Flatten";
  constructor(args: LayerArgs = {}) {
    super(checkOptions(FLATTEN, args, "flatten"));
  }
  protected computeBuild(inputShape: number[]): number[] { return [sizeOf(inputShape)]; }
  forward(x: Tensor): Tensor { this.checkInput(x); return x.reshape([x.shape[0]!, sizeOf(this.inputShape!)]); }
  backward(dy: Tensor): Tensor { return dy.reshape([dy.shape[0]!, ...this.inputShape!]); }
  getConfig(): LayerConfig { return { name: this.name }; }
}

export interface RepeatVectorArgs extends LayerArgs {
  /** How many times to repeat. */
  n: number;
}

/** [B, F] → [B, n, F]: the bridge from an encoder's last state to a decoder. */
export class RepeatVector extends Layer {
  readonly className = "RepeatVector";
  readonly n: number;
  constructor(args: RepeatVectorArgs) {
    super(checkOptions(REPEAT_VECTOR, args, "repeatVector"));
    this.n = args.n;
  }
  protected computeBuild(inputShape: number[]): number[] {
    if (inputShape.length !== 1) {
      throw new ShapeError(`layer "${this.name}" (RepeatVector) expects input of shape [batch, features], got ${fmtShape([null, ...inputShape])}`);
    }
    return [this.n, inputShape[0]!];
  }
  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const B = x.shape[0]!, F = x.shape[1]!, n = this.n;
    const y = this.out("y", B * n * F);
    for (let b = 0; b < B; b++) for (let t = 0; t < n; t++) for (let f = 0; f < F; f++) y[(b * n + t) * F + f] = x.data[b * F + f]!;
    return new Tensor(y, [B, n, F]);
  }
  backward(dy: Tensor): Tensor {
    const B = dy.shape[0]!, n = this.n, F = dy.shape[2]!;
    const dx = this.out("dx", B * F).fill(0);
    for (let b = 0; b < B; b++) for (let t = 0; t < n; t++) for (let f = 0; f < F; f++) dx[b * F + f] += dy.data[(b * n + t) * F + f]!;
    return new Tensor(dx, [B, F]);
  }
  getConfig(): LayerConfig { return { name: this.name, n: this.n }; }
}

export interface MaskingArgs extends LayerArgs {
  /** A step whose features all equal this value is masked. Default 0. */
  maskValue?: number;
}

/**
 * Marks padded steps of [B, T, F] sequences, as Keras's Masking: a step is masked when every one of
 * its features equals `maskValue`. The output is the input with masked steps set to zero; the mask
 * [B, T] goes to the layers above (recurrent layers carry their state through masked steps,
 * GlobalAveragePooling1D averages over the real ones). The gradient at masked steps is zero.
 *
 * @example layers.masking({ maskValue: 0, inputShape: [50, 3] })
 */
export class Masking extends Layer {
  readonly className = "Masking";
  readonly maskValue: number;
  private mask: Float32Array | null = null;

  constructor(args: MaskingArgs = {}) {
    super(checkOptions(MASKING, args, "masking"));
    this.maskValue = args.maskValue ?? 0;
  }

  protected computeBuild(inputShape: number[]): number[] {
    if (inputShape.length !== 2) {
      throw new ShapeError(`layer "${this.name}" (Masking) expects input of shape [batch, time, features], got ${fmtShape([null, ...inputShape])}`);
    }
    return inputShape;
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const B = x.shape[0]!, T = x.shape[1]!, F = x.shape[2]!;
    const m = new Float32Array(B * T); // fresh per call: a graph may keep the masks of several calls
    const y = this.out("y", x.size);
    const v = this.maskValue;
    for (let r = 0; r < B * T; r++) {
      let real = 0;
      for (let f = 0; f < F; f++) if (x.data[r * F + f] !== v) { real = 1; break; }
      m[r] = real;
      if (real) for (let f = 0; f < F; f++) y[r * F + f] = x.data[r * F + f]!;
      else y.fill(0, r * F, r * F + F);
    }
    this.mask = m;
    return new Tensor(y, x.shape);
  }

  backward(dy: Tensor): Tensor {
    const m = this.requireForward(this.mask);
    const F = this.inputShape![1]!;
    const dx = this.out("dx", dy.size);
    for (let r = 0; r < m.length; r++) {
      if (m[r]) for (let f = 0; f < F; f++) dx[r * F + f] = dy.data[r * F + f]!;
      else dx.fill(0, r * F, r * F + F);
    }
    return new Tensor(dx, dy.shape);
  }

  /** 1 where some feature differs from maskValue, [B, T] (the mask from below is replaced, as Keras). */
  override computeOutputMask(): Float32Array | null {
    return this.mask;
  }

  getConfig(): LayerConfig {
    return { name: this.name, maskValue: this.maskValue, ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}) };
  }
}
