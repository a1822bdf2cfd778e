// Merge layers for functional models: concatenate along an axis, add and multiply element-wise.
// Each takes a list of inputs (`layers.add().apply([a, b])`) and has no weights.

import { Tensor, sizeOf } from "../tensor/tensor.js";
import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import { MultiInputLayer, type LayerArgs, type LayerConfig, type CallArgs } from "./layer.js";
import { checkOptions, options, layerArgsShape, z } from "./options.js";

const CONCATENATE = options({
  ...layerArgsShape,
  axis: z.number({ error: "must be an integer" }).refine(Number.isInteger, { error: "must be an integer" }).optional(),
});
const ELEMENTWISE = options(layerArgsShape);

/** Masks of the inputs merged: a step is real where it is real in every input that has a mask. */
function andMasks(masks: (Float32Array | null)[]): Float32Array | null {
  const given = masks.filter((m): m is Float32Array => m !== null);
  if (given.length === 0) return null;
  if (given.length === 1) return given[0]!;
  const out = new Float32Array(given[0]!.length);
  for (let i = 0; i < out.length; i++) out[i] = given.every((m) => m[i]! > 0) ? 1 : 0;
  return out;
}

abstract class Merge extends MultiInputLayer {
  private batch = 0;

  protected checkCount(shapes: number[][]): void {
    if (shapes.length < 2) throw new ConfigError(`layer "${this.name}" (${this.className}) merges at least 2 inputs, got ${shapes.length}`);
  }

  protected computeOutputShapes(args: CallArgs): number[][] {
    void args;
    return [[...this.outputShape!]];
  }

  protected checkBatch(xs: Tensor[]): number {
    const want = this.inputShapes!;
    if (xs.length !== want.length) throw new ShapeError(`layer "${this.name}" (${this.className}) takes ${want.length} inputs, got ${xs.length}`);
    const B = xs[0]!.shape[0]!;
    xs.forEach((x, k) => {
      const ok = x.shape.length === want[k]!.length + 1 && x.shape[0] === B && x.shape.slice(1).every((d, i) => d === want[k]![i]);
      if (!ok) throw new ShapeError(`layer "${this.name}" (${this.className}) expects input ${k} of shape ${fmtShape([B, ...want[k]!])}, got ${fmtShape(x.shape)}`);
    });
    this.batch = B;
    return B;
  }

  protected get lastB(): number {
    return this.batch;
  }

  override computeOutputMask(): Float32Array | null {
    const m = andMasks(this.inputMasks);
    const i = this.inputShape, o = this.outputShape;
    if (!m || !i || !o) return null;
    return i.length >= 2 && o.length >= 2 && i[0] === o[0] ? m : null;
  }
}

/** Element-wise sum or product of inputs of one shape. */
abstract class Elementwise extends Merge {
  private xs: Tensor[] = [];
  protected abstract readonly op: "add" | "multiply";

  protected computeBuildCall(shapes: number[][]): number[][] {
    this.checkCount(shapes);
    const s0 = shapes[0]!;
    shapes.forEach((s, k) => {
      if (s.length !== s0.length || s.some((d, i) => d !== s0[i])) {
        throw new ShapeError(`layer "${this.name}" (${this.className}) needs inputs of one shape; input 0 is ${fmtShape([null, ...s0])}, input ${k} is ${fmtShape([null, ...s])}`);
      }
    });
    return [[...s0]];
  }

  forwardCall(xs: Tensor[], training: boolean): Tensor[] {
    void training;
    this.checkBatch(xs);
    const n = xs[0]!.size;
    const y = this.out("y", n);
    y.set(xs[0]!.data);
    for (let k = 1; k < xs.length; k++) {
      const d = xs[k]!.data;
      if (this.op === "add") for (let i = 0; i < n; i++) y[i] += d[i]!;
      else for (let i = 0; i < n; i++) y[i] *= d[i]!;
    }
    this.xs = this.op === "multiply" ? xs.map((x) => new Tensor(x.data.slice(), x.shape)) : xs;
    return [new Tensor(y, xs[0]!.shape)];
  }

  backwardCall(dys: (Tensor | null)[]): Tensor[] {
    const dy = dys[0];
    if (!dy) throw new ConfigError(`layer "${this.name}": backward without a gradient for its output`);
    const xs = this.requireForward(this.xs.length ? this.xs : null);
    const n = dy.size;
    return xs.map((x, k) => {
      const g = this.out(`dx${k}`, n);
      if (this.op === "add") g.set(dy.data);
      else {
        // d(∏ x_j)/dx_k = ∏_{j≠k} x_j
        for (let i = 0; i < n; i++) {
          let p = dy.data[i]!;
          for (let j = 0; j < xs.length; j++) if (j !== k) p *= xs[j]!.data[i]!;
          g[i] = p;
        }
      }
      return new Tensor(g, x.shape);
    });
  }

  getConfig(): LayerConfig {
    return { name: this.name };
  }
}

/** Sum of its inputs, element by element (Keras's `Add`): `layers.add().apply([a, b])`. */
export class Add extends Elementwise {
  readonly className = "Add";
  protected readonly op = "add";
  constructor(args: LayerArgs = {}) {
    super(checkOptions(ELEMENTWISE, args, "add"));
  }
}

/** Product of its inputs, element by element (Keras's `Multiply`): `layers.multiply().apply([a, b])`. */
export class Multiply extends Elementwise {
  readonly className = "Multiply";
  protected readonly op = "multiply";
  constructor(args: LayerArgs = {}) {
    super(checkOptions(ELEMENTWISE, args, "multiply"));
  }
}

export interface ConcatenateArgs extends LayerArgs {
  /**
   * The axis to join along, counting the batch axis as 0 as Keras does: -1 (default) is the last
   * (features), 1 the first per-sample axis (time, for sequences).
   */
  axis?: number;
}

/** Its inputs joined along one axis (Keras's `Concatenate`); every other axis must agree. */
export class Concatenate extends Merge {
  readonly className = "Concatenate";
  readonly axis: number;
  private sizes: number[] = [];
  private outer = 0;
  private inner = 0;

  constructor(args: ConcatenateArgs = {}) {
    super(checkOptions(CONCATENATE, args, "concatenate"));
    this.axis = args.axis ?? -1;
    if (this.axis === 0) throw new ConfigError("concatenate: axis 0 is the batch axis; join along a per-sample axis (1 … rank, or -1 for the last)");
  }

  /** The axis as an index into the per-sample shape. */
  private sampleAxis(rank: number): number {
    const a = this.axis < 0 ? rank + 1 + this.axis : this.axis;
    if (a < 1 || a > rank) throw new ShapeError(`layer "${this.name}" (Concatenate): axis ${this.axis} is out of range for inputs of shape [batch, ${rank} axes]`);
    return a - 1;
  }

  protected computeBuildCall(shapes: number[][]): number[][] {
    this.checkCount(shapes);
    const r = shapes[0]!.length;
    const a = this.sampleAxis(r);
    shapes.forEach((s, k) => {
      const ok = s.length === r && s.every((d, i) => i === a || d === shapes[0]![i]);
      if (!ok) {
        throw new ShapeError(`layer "${this.name}" (Concatenate) along axis ${this.axis} needs inputs that agree on every other axis; input 0 is ${fmtShape([null, ...shapes[0]!])}, input ${k} is ${fmtShape([null, ...s])}`);
      }
    });
    const out = [...shapes[0]!];
    out[a] = shapes.reduce((t, s) => t + s[a]!, 0);
    return [out];
  }

  forwardCall(xs: Tensor[], training: boolean): Tensor[] {
    void training;
    const B = this.checkBatch(xs);
    const shapes = this.inputShapes!;
    const a = this.sampleAxis(shapes[0]!.length);
    // view each input as [outer, size_k, inner]: outer = B × axes before, inner = axes after
    this.outer = B * sizeOf(shapes[0]!.slice(0, a));
    this.inner = sizeOf(shapes[0]!.slice(a + 1));
    this.sizes = shapes.map((s) => s[a]! * this.inner);
    const total = this.sizes.reduce((t, n) => t + n, 0);
    const y = this.out("y", this.outer * total);
    let off = 0;
    xs.forEach((x, k) => {
      const n = this.sizes[k]!;
      for (let o = 0; o < this.outer; o++) y.set(x.data.subarray(o * n, (o + 1) * n), o * total + off);
      off += n;
    });
    return [new Tensor(y, [B, ...this.outputShape!])];
  }

  backwardCall(dys: (Tensor | null)[]): Tensor[] {
    const dy = dys[0];
    if (!dy) throw new ConfigError(`layer "${this.name}": backward without a gradient for its output`);
    if (this.sizes.length === 0) throw new ConfigError(`layer "${this.name}": backward called before forward`);
    const total = this.sizes.reduce((t, n) => t + n, 0);
    const B = this.lastB;
    let off = 0;
    return this.sizes.map((n, k) => {
      const g = this.out(`dx${k}`, this.outer * n);
      for (let o = 0; o < this.outer; o++) g.set(dy.data.subarray(o * total + off, o * total + off + n), o * n);
      off += n;
      return new Tensor(g, [B, ...this.inputShapes![k]!]);
    });
  }

  override computeOutputMask(): Float32Array | null {
    const shapes = this.inputShapes;
    if (!shapes) return null;
    // joining along time: the masks are joined too (a missing mask counts as all real)
    if (shapes[0]!.length >= 2 && this.sampleAxis(shapes[0]!.length) === 0 && this.inputMasks.some((m) => m)) {
      const B = this.lastB;
      const T = shapes.map((s) => s[0]!);
      const Tout = T.reduce((t, n) => t + n, 0);
      const m = new Float32Array(B * Tout);
      for (let b = 0; b < B; b++) {
        let off = 0;
        shapes.forEach((_, k) => {
          const src = this.inputMasks[k];
          for (let t = 0; t < T[k]!; t++) m[b * Tout + off + t] = src ? src[b * T[k]! + t]! : 1;
          off += T[k]!;
        });
      }
      return m;
    }
    return super.computeOutputMask();
  }

  getConfig(): LayerConfig {
    return { name: this.name, axis: this.axis };
  }
}
