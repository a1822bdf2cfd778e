// LSTM, GRU and SimpleRNN layers over the fused kernels. Shared here: the time-major input,
// dropout masks, the whole-sequence input projection, states, and the weight-gradient GEMMs.

import { Tensor, sizeOf } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import type { InitializerName } from "../tensor/initializers.js";
import { checkActivation, type Activation } from "../kernels/activations.js";
import { toTimeMajor, toBatchMajor } from "../kernels/layout.js";
import { INITIALIZERS } from "../tensor/initializers.js";
import { Layer, Param, type LayerArgs, type LayerConfig, type CallArgs } from "./layer.js";
import { checkOptions, options, layerArgsShape, positiveInt, rate, str, bool, oneOf } from "./options.js";

const initializer = () => oneOf(INITIALIZERS).optional();
const RECURRENT = {
  ...layerArgsShape,
  units: positiveInt(),
  activation: str().optional(),
  useBias: bool().optional(),
  kernelInitializer: initializer(),
  recurrentInitializer: initializer(),
  biasInitializer: initializer(),
  returnSequences: bool().optional(),
  returnState: bool().optional(),
  goBackwards: bool().optional(),
  stateful: bool().optional(),
  dropout: rate().optional(),
  recurrentDropout: rate().optional(),
};
const LSTM_OPTIONS = options({
  ...RECURRENT, recurrentActivation: str().optional(), unitForgetBias: bool().optional(),
  peephole: bool().optional(), peepholeInitializer: initializer(),
});
const GRU_OPTIONS = options({ ...RECURRENT, recurrentActivation: str().optional(), resetAfter: bool().optional() });
const SIMPLE_RNN_OPTIONS = options(RECURRENT);

export interface RecurrentArgs extends LayerArgs {
  /** Size of the hidden state h (and cell state c). */
  units: number;
  /** Activation of the candidate and of the cell output. Default "tanh". */
  activation?: Activation;
  /** Whether the layer has a bias. Default true. */
  useBias?: boolean;
  /** Default "glorotUniform". */
  kernelInitializer?: InitializerName;
  /** Default "orthogonal". */
  recurrentInitializer?: InitializerName;
  /** Default "zeros". */
  biasInitializer?: InitializerName;
  /** Return h at every step [B, T, H] instead of the last [B, H]. Default false. */
  returnSequences?: boolean;
  /** Also return the final states (read them from `forwardWithState`). Default false. */
  returnState?: boolean;
  /** Process the sequence from the last step to the first; outputs come in processing order. Default false. */
  goBackwards?: boolean;
  /** Carry the final states of one batch into the next, until `resetStates()`. Default false. */
  stateful?: boolean;
  /** Fraction of the inputs dropped (one mask per sequence, as Keras). Default 0. */
  dropout?: number;
  /** Fraction of the recurrent state dropped before U (one mask per sequence). Default 0. */
  recurrentDropout?: number;
}

export interface LstmArgs extends RecurrentArgs {
  /** Activation of the gates i, f, o. Default "sigmoid". */
  recurrentActivation?: Activation;
  /** Initialise the forget-gate bias to 1 (Jozefowicz et al. 2015). Default true. */
  unitForgetBias?: boolean;
  /**
   * Peephole connections (Gers & Schmidhuber 2000): the input and forget gates also see c_{t-1},
   * the output gate sees c_t, through a fourth weight `peephole` [3H] (blocks i, f, o; ONNX's P).
   * Default false.
   */
  peephole?: boolean;
  /**
   * Initializer of the peephole weights, drawn as a [3, H] matrix. Default "zeros": the layer
   * starts out as the plain LSTM (and as ONNX's LSTM without P); TF's PeepholeLSTMCell uses its
   * kernel initializer instead.
   */
  peepholeInitializer?: InitializerName;
}

export interface GruArgs extends RecurrentArgs {
  /** Activation of the gates z, r. Default "sigmoid". */
  recurrentActivation?: Activation;
  /** Apply the reset gate after the recurrent matmul (Keras default, cuDNN and PyTorch form). Default true. */
  resetAfter?: boolean;
}

export type SimpleRnnArgs = RecurrentArgs;

/** Output and final states of a recurrent layer: LSTM [h, c]; GRU, SimpleRNN [h]. */
export interface RecurrentResult {
  output: Tensor;
  states: Tensor[];
}

abstract class RecurrentLayer extends Layer {
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerName;
  readonly recurrentInitializer: InitializerName;
  readonly biasInitializer: InitializerName;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  goBackwards: boolean;
  readonly stateful: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;

  protected abstract readonly gateCount: number;
  protected abstract readonly stateCount: number;

  // forward cache
  protected B = 0;
  protected T = 0;
  protected I = 0;
  protected xt: Float32Array | null = null; // [T, B, I] time-major (dropout applied)
  protected proj: Float32Array | null = null; // [T, B, G] projections, then activated gates
  protected hs: Float32Array | null = null; // [T+1, B, H]
  protected hm: Float32Array | null = null; // [T, B, H] masked h_{t-1}, recurrent dropout only
  protected inMask: Float32Array | null = null; // [B, I]
  protected recMask: Float32Array | null = null; // [B, H]
  protected savedStates: Float32Array[] | null = null; // stateful: [B, H] each
  /** Which rows of each step are real, [T, B] in processing order (1 real, 0 masked); null when every step is. */
  protected stepMask: Float32Array | null = null;
  /**
   * The steps the next cellForward / cellBackward call runs, [t0, t0 + n): the whole sequence,
   * or under a mask one run of steps at a time (see `view`).
   */
  protected span = { t0: 0, n: 0 };

  constructor(args: RecurrentArgs, readonly kind: string) {
    super(args);
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new ConfigError(`${kind}: units must be a positive integer, got ${String(args.units)}`);
    }
    this.units = args.units;
    this.activation = checkActivation(args.activation ?? "tanh", kind);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? "glorotUniform";
    this.recurrentInitializer = args.recurrentInitializer ?? "orthogonal";
    this.biasInitializer = args.biasInitializer ?? "zeros";
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.dropout = checkRate(args.dropout ?? 0, `${kind}: dropout`);
    this.recurrentDropout = checkRate(args.recurrentDropout ?? 0, `${kind}: recurrentDropout`);
  }

  protected get kernel(): Param { return this.params[0]!; }
  protected get recurrentKernel(): Param { return this.params[1]!; }
  protected get bias(): Param | null { return this.useBias ? this.params[2]! : null; }

  protected computeBuild(inputShape: number[]): number[] {
    if (inputShape.length !== 2) {
      throw new ShapeError(`layer "${this.name}" (${this.className}) expects input of shape [batch, time, features], got ${fmtShape([null, ...inputShape])}`);
    }
    const I = inputShape[1]!;
    const H = this.units;
    const G = this.gateCount * H;
    this.params.push(new Param("kernel", [I, G], this.kernelInitializer, [I, G]));
    this.params.push(new Param("recurrent_kernel", [H, G], this.recurrentInitializer, [H, G]));
    if (this.useBias) this.params.push(this.makeBias(G));
    return this.returnSequences ? [inputShape[0]!, H] : [H];
  }

  protected makeBias(G: number): Param {
    return new Param("bias", [G], this.biasInitializer, [1, G]);
  }

  override resetStates(): void {
    this.savedStates = null;
  }

  /** The states carried by a stateful layer (copies), or null before the first batch. */
  get states(): Tensor[] | null {
    return this.savedStates ? this.savedStates.map((s) => new Tensor(s.slice(), [this.B, this.units])) : null;
  }

  forward(x: Tensor, training: boolean): Tensor {
    return this.run(x, training, undefined, false).output;
  }

  backward(dy: Tensor): Tensor {
    return this.runBackward(dy, undefined, false).dx;
  }

  override callOptions(): readonly string[] {
    return ["initialState"];
  }

  /** Graph calls: the sequence, then `initialStates` state inputs; outputs [output] or, with returnState, [output, ...final states]. */
  override buildCall(inputShapes: number[][], args: CallArgs = {}): number[][] {
    const n = args.initialStates ?? 0;
    if (inputShapes.length !== 1 + n) throw new ShapeError(`layer "${this.name}" (${this.className}) takes a sequence and ${n} initial states, got ${inputShapes.length} inputs`);
    if (n !== 0 && n !== this.stateCount) {
      throw new ShapeError(`layer "${this.name}" (${this.className}): initialState needs ${this.stateCount} tensor${this.stateCount > 1 ? "s" : ""} (${this.stateCount === 2 ? "[h, c]" : "[h]"}), each [batch, ${this.units}], got ${n}`);
    }
    inputShapes.slice(1).forEach((s, k) => {
      if (s.length !== 1 || s[0] !== this.units) throw new ShapeError(`layer "${this.name}" (${this.className}): initialState[${k}] must have shape [batch, ${this.units}], got ${fmtShape([null, ...s])}`);
    });
    const out = super.buildCall([inputShapes[0]!], args)[0]!;
    return this.returnState ? [out, ...Array.from({ length: this.stateCount }, () => [this.units])] : [out];
  }

  override forwardCall(xs: Tensor[], training: boolean, args: CallArgs = {}): Tensor[] {
    const n = args.initialStates ?? 0;
    const r = this.run(xs[0]!, training, n ? xs.slice(1, 1 + n) : undefined, this.returnState);
    return this.returnState ? [r.output, ...r.states] : [r.output];
  }

  override backwardCall(dys: (Tensor | null)[], args: CallArgs = {}): Tensor[] {
    const n = args.initialStates ?? 0;
    const want = this.returnSequences ? [this.B, this.T, this.units] : [this.B, this.units];
    const dy = dys[0] ?? new Tensor(new Float32Array(sizeOf(want)), want);
    const r = this.runBackward(dy, dys.slice(1), n > 0);
    return [r.dx, ...r.dInitialState.slice(0, n)];
  }

  /** Forward over a batch [B, T, I], optionally from given initial states ([h] or [h, c], each [B, H]). */
  forwardWithState(x: Tensor, training: boolean, initialState?: Tensor[]): RecurrentResult {
    return this.run(x, training, initialState, true);
  }

  /**
   * Backward from dL/d(output) and optionally dL/d(final states); accumulates weight gradients.
   * Returns dL/dx [B, T, I] and dL/d(initial states).
   */
  backwardWithState(dy: Tensor, dStates?: (Tensor | null)[]): { dx: Tensor; dInitialState: Tensor[] } {
    return this.runBackward(dy, dStates, true);
  }

  private run(x: Tensor, training: boolean, initialState: Tensor[] | undefined, wantStates: boolean): RecurrentResult {
    this.checkInput(x);
    const B = x.shape[0]!, T = x.shape[1]!, I = x.shape[2]!;
    const H = this.units;
    const G = this.gateCount * H;
    this.B = B; this.T = T; this.I = I;

    const xt = this.buf("xt", T * B * I); // [T, B, I]
    toTimeMajor(x.data, xt, B, T, I, this.goBackwards);
    this.inMask = training && this.dropout > 0 ? this.mask("inMask", B * I, this.dropout) : null;
    if (this.inMask) {
      for (let t = 0; t < T; t++) for (let k = 0; k < B * I; k++) xt[t * B * I + k] *= this.inMask[k]!;
    }
    this.recMask = training && this.recurrentDropout > 0 ? this.mask("recMask", B * H, this.recurrentDropout) : null;
    this.hm = this.recMask ? this.buf("hm", T * B * H) : null;
    this.xt = xt;

    const proj = this.buf("proj", T * B * G); // [T*B, G] = x·W + b
    const be = this.backend;
    be.fillRows({ Y: proj, yOff: 0, rows: T * B, N: G, bias: this.bias ? this.bias.value : null, biasOff: 0 });
    be.gemm({ transA: false, transB: false, M: T * B, N: G, K: I, A: xt, lda: I, B: this.kernel.value, ldb: G, beta: 1, C: proj, ldc: G });
    this.proj = proj;

    const hs = this.buf("hs", (T + 1) * B * H); // [T+1, B, H]
    const init = this.initialStates(B, initialState);
    hs.set(init[0]!, 0);
    this.hs = hs;
    this.stepMask = this.timeMajorMask(x);
    if (this.stepMask) {
      this.maskedForward(B, T, init);
    } else {
      this.span = { t0: 0, n: T };
      this.cellForward(B, T, init);
    }

    let output: Tensor;
    if (this.returnSequences) {
      output = new Tensor(this.out("y", B * T * H), [B, T, H]);
      toBatchMajor(hs, B * H, output.data, B, T, H, false);
    } else {
      const y = this.out("y", B * H);
      y.set(hs.subarray(T * B * H, (T + 1) * B * H));
      output = new Tensor(y, [B, H]);
    }
    const states = wantStates || this.stateful ? this.finalStates(B, T) : [];
    if (this.stateful) this.savedStates = states.map((s) => s.data.slice());
    return { output, states };
  }

  private runBackward(dy: Tensor, dStates: (Tensor | null)[] | undefined, wantStates: boolean): { dx: Tensor; dInitialState: Tensor[] } {
    const B = this.B, T = this.T, I = this.I, H = this.units;
    const G = this.gateCount * H;
    const xt = this.requireForward(this.xt);
    const want = this.returnSequences ? [B, T, H] : [B, H];
    if (dy.size !== sizeOf(want)) {
      throw new ShapeError(`layer "${this.name}" backward: gradient of shape ${fmtShape(dy.shape)} does not match output ${fmtShape(want)}`);
    }
    const dh = this.buf("dh", B * H); // [B, H]
    let dhs: Float32Array | null = null;
    if (this.returnSequences) {
      dh.fill(0);
      dhs = this.buf("dhs", T * B * H); // [T, B, H]
      toTimeMajor(dy.data, dhs, B, T, H, false);
    } else {
      dh.set(dy.data);
    }
    const dS = this.stateGradBuffers(B);
    if (dStates) {
      dStates.forEach((s, k) => {
        if (!s) return;
        const target = k === 0 ? dh : dS[k - 1]!;
        for (let i = 0; i < B * H; i++) target[i] += s.data[i]!;
      });
    }
    let dZx: Float32Array; // [T*B, G] input-side gate gradients
    if (this.stepMask) {
      dZx = this.maskedBackward(B, T, dhs, dh, dS);
    } else {
      this.span = { t0: 0, n: T };
      dZx = this.cellBackward(B, T, dhs, dh, dS);
    }

    const be = this.backend;
    be.gemm({ transA: true, transB: false, M: I, N: G, K: T * B, A: xt, lda: I, B: dZx, ldb: G, beta: 1, C: this.kernel.grad, ldc: G }); // dW += xᵀ·dZ
    if (this.bias) be.columnSums({ X: dZx, rows: T * B, N: G, out: this.bias.grad, outOff: 0 });
    const dxt = this.buf("dxt", T * B * I);
    be.gemm({ transA: false, transB: true, M: T * B, N: I, K: G, A: dZx, lda: G, B: this.kernel.value, ldb: G, C: dxt, ldc: I }); // dx = dZ·Wᵀ
    if (this.inMask) {
      for (let t = 0; t < T; t++) for (let k = 0; k < B * I; k++) dxt[t * B * I + k] *= this.inMask[k]!;
    }
    const dx = new Tensor(this.out("dx", B * T * I), [B, T, I]);
    toBatchMajor(dxt, 0, dx.data, B, T, I, this.goBackwards);
    const dInitialState = wantStates ? [new Tensor(dh.slice(), [B, H]), ...dS.map((d) => new Tensor(d.slice(), [B, H]))] : [];
    return { dx, dInitialState };
  }

  /**
   * The mask of the batch (`inputMask`, [B, T]) in processing order, time-major [T, B], or null when
   * there is none or every step is real (then the whole sequence runs in one kernel call).
   */
  private timeMajorMask(x: Tensor): Float32Array | null {
    const m = this.inputMask;
    if (!m) return null;
    const B = x.shape[0]!, T = x.shape[1]!;
    if (m.length !== B * T) {
      throw new ShapeError(`layer "${this.name}" (${this.className}): its input mask has ${m.length} entries where the input ${fmtShape(x.shape)} needs [batch, time] = ${fmtShape([B, T])}, ${B * T} entries`);
    }
    const mt = this.buf("stepMask", T * B);
    let all = true;
    for (let t = 0; t < T; t++) {
      const src = this.goBackwards ? T - 1 - t : t;
      for (let b = 0; b < B; b++) {
        const v = m[b * T + src] ? 1 : 0;
        mt[t * B + b] = v;
        if (!v) all = false;
      }
    }
    return all ? null : mt;
  }

  /** Steps [t0, t0 + n) of the next kernel call under a mask: a run of steps whose rows are all real, or one step with masked rows. */
  private maskedSpans(B: number, T: number): { t0: number; n: number; masked: boolean }[] {
    const m = this.stepMask!;
    const spans: { t0: number; n: number; masked: boolean }[] = [];
    const hasMasked = (t: number): boolean => {
      for (let b = 0; b < B; b++) if (!m[t * B + b]) return true;
      return false;
    };
    for (let t = 0; t < T;) {
      if (hasMasked(t)) {
        spans.push({ t0: t, n: 1, masked: true });
        t++;
        continue;
      }
      let n = 1;
      while (t + n < T && !hasMasked(t + n)) n++;
      spans.push({ t0: t, n, masked: false });
      t += n;
    }
    return spans;
  }

  /**
   * Forward under a mask (Keras semantics): the fused kernel runs over each run of real steps, and
   * one step at a time where some rows are masked; a masked row then takes back its previous states
   * (h, and c for an LSTM), so its output repeats the last real one, and its gates are zeroed.
   */
  private maskedForward(B: number, T: number, init: Float32Array[]): void {
    const m = this.stepMask!;
    const H = this.units, BH = B * H, G = this.gateCount * H;
    for (const s of this.maskedSpans(B, T)) {
      this.span = { t0: s.t0, n: s.n };
      this.cellForward(B, T, init);
      if (!s.masked) continue;
      const t = s.t0;
      const slots = this.stateSlots();
      for (let b = 0; b < B; b++) {
        if (m[t * B + b]) continue;
        for (const st of slots) st.copyWithin((t + 1) * BH + b * H, t * BH + b * H, t * BH + b * H + H);
        this.proj!.fill(0, (t * B + b) * G, (t * B + b + 1) * G);
      }
    }
    this.span = { t0: 0, n: T };
  }

  /**
   * Backward under a mask, the spans of the forward pass in reverse: at a masked row the state
   * gradients (dh with the output's, and dc) pass straight to the step before and the gate
   * gradients are zero (the kernel sees zero incoming gradients there; they are restored after).
   */
  private maskedBackward(B: number, T: number, dhs: Float32Array | null, dh: Float32Array, dS: Float32Array[]): Float32Array {
    const m = this.stepMask!;
    const H = this.units, BH = B * H;
    const carried = [dh, ...dS];
    const save = this.buf("maskSave", carried.length * BH);
    let dZx: Float32Array | null = null;
    for (const s of this.maskedSpans(B, T).reverse()) {
      const t = s.t0;
      if (s.masked) {
        for (let b = 0; b < B; b++) {
          if (m[t * B + b]) continue;
          carried.forEach((g, k) => {
            for (let j = 0; j < H; j++) {
              const i = b * H + j;
              save[k * BH + i] = g[i]! + (k === 0 && dhs ? dhs[t * BH + i]! : 0);
              g[i] = 0;
            }
          });
          if (dhs) dhs.fill(0, t * BH + b * H, t * BH + b * H + H);
        }
      }
      this.span = { t0: s.t0, n: s.n };
      dZx = this.cellBackward(B, T, dhs, dh, dS);
      if (s.masked) {
        for (let b = 0; b < B; b++) {
          if (m[t * B + b]) continue;
          carried.forEach((g, k) => g.set(save.subarray(k * BH + b * H, k * BH + b * H + H), b * H));
        }
      }
    }
    this.span = { t0: 0, n: T };
    return dZx!;
  }

  /**
   * The steps of the current span of a time-major buffer [T (+ extra), B, width]: the buffer itself
   * when the span is the whole sequence (no view made: the unmasked path is unchanged), else a view
   * of its rows (a backend's own memory stays its own, so kernels run on it in place). `extra` = 1
   * takes the slot after the span too (state buffers [T+1, B, H], whose slot t holds h_{t-1}).
   */
  protected view(a: Float32Array, width: number, extra = 0): Float32Array {
    const { t0, n } = this.span;
    if (t0 === 0 && n === this.T) return a;
    const row = this.B * width;
    return a.subarray(t0 * row, (t0 + n + extra) * row);
  }

  /** The state buffers [T+1, B, H] a masked step carries: [hs] (LSTM: [hs, cs]). */
  protected stateSlots(): Float32Array[] {
    return [this.hs!];
  }

  /** The h_{t-1} rows that multiplied U, [T*B, H]: masked copies under recurrent dropout. */
  protected hPrev(): Float32Array {
    return this.hm ?? this.hs!;
  }

  private mask(key: string, n: number, rate: number): Float32Array {
    const m = this.buf(key, n);
    const keep = 1 - rate;
    for (let i = 0; i < n; i++) m[i] = this.rng.next() < keep ? 1 / keep : 0;
    return m;
  }

  private initialStates(B: number, given?: Tensor[]): Float32Array[] {
    const H = this.units;
    if (given) {
      if (given.length !== this.stateCount) {
        throw new ShapeError(`layer "${this.name}": initial state needs ${this.stateCount} tensors of shape [${B}, ${H}], got ${given.length}`);
      }
      return given.map((s, k) => {
        if (s.shape.length !== 2 || s.shape[0] !== B || s.shape[1] !== H) {
          throw new ShapeError(`layer "${this.name}": initial state ${k} must have shape [${B}, ${H}], got ${fmtShape(s.shape)}`);
        }
        return s.data;
      });
    }
    if (this.stateful && this.savedStates) {
      if (this.savedStates[0]!.length !== B * H) {
        throw new ShapeError(`stateful layer "${this.name}" holds states for batch ${this.savedStates[0]!.length / H}, got a batch of ${B}: keep the batch size fixed or call resetStates()`);
      }
      return this.savedStates;
    }
    const zeros = this.buf("zeros", B * H).fill(0); // read only: copied into slot 0 of the state buffers
    return Array.from({ length: this.stateCount }, () => zeros);
  }

  protected abstract cellForward(B: number, T: number, init: Float32Array[]): void;
  protected abstract cellBackward(B: number, T: number, dhs: Float32Array | null, dh: Float32Array, dS: Float32Array[]): Float32Array;
  protected abstract finalStates(B: number, T: number): Tensor[];
  /** Gradient buffers for the states after h (LSTM: c), zeroed. */
  protected stateGradBuffers(B: number): Float32Array[] {
    void B;
    return [];
  }

  protected baseConfig(): LayerConfig {
    return {
      name: this.name,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: this.stateful,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      ...(this.declaredInputShape ? { inputShape: this.declaredInputShape } : {}),
      ...(this.batchSize !== null ? { batchSize: this.batchSize } : {}),
    };
  }

  /** Per-timestep tensor [B, T, H] from a time-major buffer slice (gate columns col..col+H of width W). */
  protected timeSeries(src: Float32Array, srcOff: number, W: number, col: number): Tensor {
    const B = this.B, T = this.T, H = this.units;
    const out = new Float32Array(B * T * H);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const s = srcOff + (t * B + b) * W + col;
        const d = (b * T + t) * H;
        for (let j = 0; j < H; j++) out[d + j] = src[s + j]!;
      }
    }
    return new Tensor(out, [B, T, H]);
  }
}

function checkRate(r: number, what: string): number {
  if (!(r >= 0 && r < 1)) throw new ConfigError(`${what} must be in [0, 1), got ${r}`);
  return r;
}

/** Per-timestep internals of an LSTM, each [B, T, H], in processing order. */
export interface LstmInternals {
  inputGate: Tensor; forgetGate: Tensor; candidate: Tensor; outputGate: Tensor;
  cellState: Tensor; hiddenState: Tensor;
}

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997), Keras semantics.
 *
 *   i = σ(x W_i + h U_i + b_i),  f = σ(x W_f + h U_f + b_f),  c̃ = tanh(x W_c + h U_c + b_c),
 *   o = σ(x W_o + h U_o + b_o),  c' = f ⊙ c + i ⊙ c̃,  h' = o ⊙ tanh(c')
 *
 * Input [B, T, I]; output [B, H] or, with returnSequences, [B, T, H].
 * Weights (Keras layout, gates i, f, c, o): kernel [I, 4H] (glorotUniform),
 * recurrent_kernel [H, 4H] (orthogonal), bias [4H] (zeros, forget part 1 with unitForgetBias).
 *
 * With `peephole: true` (Gers & Schmidhuber 2000) the gates also look at the cell state:
 * i and f add p_i ⊙ c, p_f ⊙ c (the previous cell state), o adds p_o ⊙ c' (the new one); the
 * fourth weight `peephole` [3H] holds p_i, p_f, p_o in that order (zeros by default), which is
 * ONNX's LSTM input P once its blocks are reordered to i, o, f.
 *
 * @example layers.lstm({ units: 64, returnSequences: true })
 * @example layers.lstm({ units: 32, peephole: true })
 */
export class LSTM extends RecurrentLayer {
  readonly className = "LSTM";
  protected readonly gateCount = 4;
  protected readonly stateCount = 2;
  readonly recurrentActivation: Activation;
  readonly unitForgetBias: boolean;
  /** Whether the gates see the cell state (the `peephole` weight). */
  readonly peephole: boolean;
  /** Initializer of the peephole weights (zeros by default: the layer starts as the plain LSTM). */
  readonly peepholeInitializer: InitializerName;
  private cs: Float32Array | null = null;
  private tc: Float32Array | null = null;

  constructor(args: LstmArgs) {
    super(checkOptions(LSTM_OPTIONS, args, "lstm"), "lstm");
    this.recurrentActivation = checkActivation(args.recurrentActivation ?? "sigmoid", "lstm");
    this.unitForgetBias = args.unitForgetBias ?? true;
    this.peephole = args.peephole ?? false;
    this.peepholeInitializer = args.peepholeInitializer ?? "zeros";
  }

  protected override computeBuild(inputShape: number[]): number[] {
    const out = super.computeBuild(inputShape);
    const H = this.units;
    if (this.peephole) this.params.push(new Param("peephole", [3 * H], this.peepholeInitializer, [3, H])); // after kernel, recurrent_kernel, bias
    return out;
  }

  /** The peephole weight [3H] (p_i, p_f, p_o), or null without peepholes. */
  private get peepholeWeights(): Param | null {
    return this.peephole ? this.params[this.useBias ? 3 : 2]! : null;
  }

  protected override makeBias(G: number): Param {
    const H = this.units;
    return new Param("bias", [G], this.biasInitializer, [1, G], this.unitForgetBias ? (v) => v.fill(1, H, 2 * H) : undefined);
  }

  protected cellForward(B: number, T: number, init: Float32Array[]): void {
    const H = this.units;
    const cs = this.buf("cs", (T + 1) * B * H);
    const tc = this.buf("tc", (T + 1) * B * H);
    if (this.span.t0 === 0) cs.set(init[1]!, 0);
    this.backend.lstmForward({ B, T: this.span.n, H, U: this.recurrentKernel.value, gates: this.view(this.proj!, 4 * H), hs: this.view(this.hs!, H, 1),
      cs: this.view(cs, H, 1), tc: this.view(tc, H, 1),
      act: this.activation, recAct: this.recurrentActivation, recMask: this.recMask, hm: this.hm && this.view(this.hm, H),
      P: this.peepholeWeights?.value ?? null });
    this.cs = cs;
    this.tc = tc;
  }

  protected override stateSlots(): Float32Array[] {
    return [this.hs!, this.cs!];
  }

  protected override stateGradBuffers(B: number): Float32Array[] {
    const dc = this.buf("dc", B * this.units);
    dc.fill(0);
    return [dc];
  }

  protected cellBackward(B: number, T: number, dhs: Float32Array | null, dh: Float32Array, dS: Float32Array[]): Float32Array {
    const H = this.units, G = 4 * H;
    const dZ = this.buf("dZ", T * B * G);
    const peep = this.peepholeWeights;
    this.backend.lstmBackward({ B, T: this.span.n, H, U: this.recurrentKernel.value, gates: this.view(this.proj!, G),
      cs: this.view(this.cs!, H, 1), tc: this.view(this.tc!, H, 1), act: this.activation, recAct: this.recurrentActivation,
      recMask: this.recMask, dhs: dhs && this.view(dhs, H), dh, dc: dS[0]!, dZ: this.view(dZ, G),
      P: peep?.value ?? null, dP: peep?.grad ?? null });
    this.backend.gemm({ transA: true, transB: false, M: H, N: G, K: this.span.n * B, A: this.view(this.hPrev(), H), lda: H, B: this.view(dZ, G), ldb: G,
      beta: 1, C: this.recurrentKernel.grad, ldc: G }); // dU += hᵀ·dZ
    return dZ;
  }

  protected finalStates(B: number, T: number): Tensor[] {
    const BH = B * this.units;
    return [
      new Tensor(this.hs!.slice(T * BH, (T + 1) * BH), [B, this.units]),
      new Tensor(this.cs!.slice(T * BH, (T + 1) * BH), [B, this.units]),
    ];
  }

  /** Gate activations and states at every step for the given inputs (inference mode). */
  inspect(x: Tensor): LstmInternals {
    this.forwardWithState(x, false);
    const H = this.units, G = 4 * H, BH = this.B * H;
    return {
      inputGate: this.timeSeries(this.proj!, 0, G, 0),
      forgetGate: this.timeSeries(this.proj!, 0, G, H),
      candidate: this.timeSeries(this.proj!, 0, G, 2 * H),
      outputGate: this.timeSeries(this.proj!, 0, G, 3 * H),
      cellState: this.timeSeries(this.cs!, BH, H, 0),
      hiddenState: this.timeSeries(this.hs!, BH, H, 0),
    };
  }

  getConfig(): LayerConfig {
    return {
      ...this.baseConfig(), recurrentActivation: this.recurrentActivation, unitForgetBias: this.unitForgetBias,
      ...(this.peephole ? { peephole: true, peepholeInitializer: this.peepholeInitializer } : {}),
    };
  }
}

/** Per-timestep internals of a GRU, each [B, T, H], in processing order. */
export interface GruInternals {
  updateGate: Tensor; resetGate: Tensor; candidate: Tensor; hiddenState: Tensor;
}

/**
 * Gated recurrent unit (Cho et al. 2014), Keras semantics.
 *
 *   z = σ(x W_z + h U_z + b_z),  r = σ(x W_r + h U_r + b_r),
 *   h̃ = tanh(x W_h + r ⊙ (h U_h + b'_h))   (resetAfter, default)   or   tanh(x W_h + (r ⊙ h) U_h + b_h)
 *   h' = z ⊙ h + (1 - z) ⊙ h̃
 *
 * Input [B, T, I]; output [B, H] or [B, T, H]. Weights (gates z, r, h): kernel [I, 3H],
 * recurrent_kernel [H, 3H], bias [2, 3H] with resetAfter (input bias; recurrent bias) or [3H].
 *
 * @example layers.gru({ units: 32, resetAfter: true })
 */
export class GRU extends RecurrentLayer {
  readonly className = "GRU";
  protected readonly gateCount = 3;
  protected readonly stateCount = 1;
  readonly recurrentActivation: Activation;
  readonly resetAfter: boolean;
  private rec: Float32Array | null = null;

  constructor(args: GruArgs) {
    super(checkOptions(GRU_OPTIONS, args, "gru"), "gru");
    this.recurrentActivation = checkActivation(args.recurrentActivation ?? "sigmoid", "gru");
    this.resetAfter = args.resetAfter ?? true;
  }

  protected override makeBias(G: number): Param {
    return this.resetAfter
      ? new Param("bias", [2, G], this.biasInitializer, [2, G])
      : new Param("bias", [G], this.biasInitializer, [1, G]);
  }

  protected cellForward(B: number, T: number): void {
    const H = this.units, G = 3 * H;
    const rec = this.buf("rec", this.resetAfter ? T * B * G : T * B * H);
    this.backend.gruForward({ B, T: this.span.n, H, resetAfter: this.resetAfter, U: this.recurrentKernel.value,
      recBias: this.resetAfter && this.bias ? this.bias.value : null, recBiasOff: G,
      gates: this.view(this.proj!, G), rec: this.view(rec, this.resetAfter ? G : H), hs: this.view(this.hs!, H, 1),
      act: this.activation, recAct: this.recurrentActivation, recMask: this.recMask, hm: this.hm && this.view(this.hm, H) });
    this.rec = rec;
  }

  protected cellBackward(B: number, T: number, dhs: Float32Array | null, dh: Float32Array): Float32Array {
    const H = this.units, G = 3 * H;
    const dZx = this.buf("dZx", T * B * G);
    const dZh = this.resetAfter ? this.buf("dZh", T * B * G) : null;
    const tmp = this.buf("tmp", B * H);
    const be = this.backend;
    const n = this.span.n;
    const vZx = this.view(dZx, G), vZh = dZh && this.view(dZh, G), hPrev = this.view(this.hPrev(), H);
    be.gruBackward({ B, T: n, H, resetAfter: this.resetAfter, U: this.recurrentKernel.value, gates: this.view(this.proj!, G),
      rec: this.view(this.rec!, this.resetAfter ? G : H), hs: this.view(this.hs!, H, 1),
      act: this.activation, recAct: this.recurrentActivation, recMask: this.recMask, hm: this.hm && this.view(this.hm, H),
      dhs: dhs && this.view(dhs, H), dh, tmp, dZx: vZx, dZh: vZh });
    const dU = this.recurrentKernel.grad;
    if (this.resetAfter) {
      be.gemm({ transA: true, transB: false, M: H, N: G, K: n * B, A: hPrev, lda: H, B: vZh!, ldb: G, beta: 1, C: dU, ldc: G });
      if (this.bias) be.columnSums({ X: vZh!, rows: n * B, N: G, out: this.bias.grad, outOff: G });
    } else {
      be.gemm({ transA: true, transB: false, M: H, N: 2 * H, K: n * B, A: hPrev, lda: H, B: vZx, ldb: G, beta: 1, C: dU, ldc: G }); // z, r columns
      be.gemm({ transA: true, transB: false, M: H, N: H, K: n * B, A: this.view(this.rec!, H), lda: H, B: vZx, bOff: 2 * H, ldb: G,
        beta: 1, C: dU, cOff: 2 * H, ldc: G }); // h column, from r ⊙ h
    }
    return dZx;
  }

  protected finalStates(B: number, T: number): Tensor[] {
    const BH = B * this.units;
    return [new Tensor(this.hs!.slice(T * BH, (T + 1) * BH), [B, this.units])];
  }

  /** Gate activations and states at every step for the given inputs (inference mode). */
  inspect(x: Tensor): GruInternals {
    this.forwardWithState(x, false);
    const H = this.units, G = 3 * H;
    return {
      updateGate: this.timeSeries(this.proj!, 0, G, 0),
      resetGate: this.timeSeries(this.proj!, 0, G, H),
      candidate: this.timeSeries(this.proj!, 0, G, 2 * H),
      hiddenState: this.timeSeries(this.hs!, this.B * H, H, 0),
    };
  }

  getConfig(): LayerConfig {
    return { ...this.baseConfig(), recurrentActivation: this.recurrentActivation, resetAfter: this.resetAfter };
  }
}

/**
 * Fully-connected recurrent layer: h' = tanh(x W + h U + b).
 * Input [B, T, I]; output [B, H] or [B, T, H]. Weights: kernel [I, H] (glorotUniform),
 * recurrent_kernel [H, H] (orthogonal), bias [H] (zeros).
 *
 * @example layers.simpleRnn({ units: 16 })
 */
export class SimpleRNN extends RecurrentLayer {
  readonly className = "SimpleRNN";
  protected readonly gateCount = 1;
  protected readonly stateCount = 1;

  constructor(args: SimpleRnnArgs) {
    super(checkOptions(SIMPLE_RNN_OPTIONS, args, "simpleRnn"), "simpleRnn");
  }

  protected cellForward(B: number, T: number): void {
    const H = this.units;
    this.backend.rnnForward({ B, T: this.span.n, H, U: this.recurrentKernel.value, pre: this.view(this.proj!, H), hs: this.view(this.hs!, H, 1),
      act: this.activation, recMask: this.recMask, hm: this.hm && this.view(this.hm, H) });
  }

  protected cellBackward(B: number, T: number, dhs: Float32Array | null, dh: Float32Array): Float32Array {
    const H = this.units;
    const dZ = this.buf("dZ", T * B * H);
    const n = this.span.n, vZ = this.view(dZ, H);
    this.backend.rnnBackward({ B, T: n, H, U: this.recurrentKernel.value, hs: this.view(this.hs!, H, 1), act: this.activation, recMask: this.recMask,
      dhs: dhs && this.view(dhs, H), dh, dZ: vZ });
    this.backend.gemm({ transA: true, transB: false, M: H, N: H, K: n * B, A: this.view(this.hPrev(), H), lda: H, B: vZ, ldb: H,
      beta: 1, C: this.recurrentKernel.grad, ldc: H });
    return dZ;
  }

  protected finalStates(B: number, T: number): Tensor[] {
    const BH = B * this.units;
    return [new Tensor(this.hs!.slice(T * BH, (T + 1) * BH), [B, this.units])];
  }

  getConfig(): LayerConfig {
    return this.baseConfig();
  }
}

export { RecurrentLayer };
