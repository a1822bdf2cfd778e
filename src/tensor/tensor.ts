// Tensor: a row-major Float32Array with a shape. Sequences are batch-major [batch, time, features].

import { ShapeError, fmtShape, NonFiniteError } from "./errors.js";

export type Shape = readonly number[];

/** Nested number arrays accepted wherever a tensor is. */
export type NestedArray = number | readonly NestedArray[];

export class Tensor {
  readonly data: Float32Array;
  readonly shape: Shape;

  constructor(data: Float32Array, shape: Shape) {
    const n = sizeOf(shape);
    if (data.length !== n) {
      throw new ShapeError(`Tensor: shape ${fmtShape(shape)} needs ${n} values, got ${data.length}`);
    }
    this.data = data;
    this.shape = [...shape];
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.data.length;
  }

  /** Same data, new shape (no copy). */
  reshape(shape: Shape): Tensor {
    return new Tensor(this.data, shape);
  }

  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** Rows [start, end) along the first axis, copied. */
  slice0(start: number, end: number): Tensor {
    const row = this.size / (this.shape[0] ?? 1);
    return new Tensor(this.data.slice(start * row, end * row), [end - start, ...this.shape.slice(1)]);
  }

  /** Gather rows along the first axis by index, copied. */
  gather0(idx: ArrayLike<number>, start = 0, end = idx.length): Tensor {
    const row = this.size / (this.shape[0] ?? 1);
    const out = new Float32Array((end - start) * row);
    for (let k = start; k < end; k++) {
      const i = idx[k]!;
      out.set(this.data.subarray(i * row, (i + 1) * row), (k - start) * row);
    }
    return new Tensor(out, [end - start, ...this.shape.slice(1)]);
  }

  /** Value at a multi-index. */
  get(...index: number[]): number {
    let off = 0;
    for (let d = 0; d < this.shape.length; d++) off = off * this.shape[d]! + (index[d] ?? 0);
    return this.data[off]!;
  }

  /** Nested JavaScript arrays, for printing and JSON. */
  toArray(): NestedArray {
    const rec = (d: number, off: number): NestedArray => {
      if (d === this.shape.length) return this.data[off]!;
      const stride = sizeOf(this.shape.slice(d + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[d]!; i++) out.push(rec(d + 1, off + i * stride));
      return out;
    };
    return rec(0, 0);
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Build a tensor from nested arrays, or from flat data with a shape. */
export function tensor(values: NestedArray | Float32Array | readonly number[], shape?: Shape): Tensor {
  if (values instanceof Float32Array) {
    return new Tensor(values, shape ?? [values.length]);
  }
  if (shape) {
    const flat = Float32Array.from(flatten(values));
    return new Tensor(flat, shape);
  }
  const inferred = inferShape(values);
  return new Tensor(Float32Array.from(flatten(values)), inferred);
}

export function zeros(shape: Shape): Tensor {
  return new Tensor(new Float32Array(sizeOf(shape)), shape);
}

function inferShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  // Check that the array is rectangular, naming the first ragged place.
  const check = (x: NestedArray, d: number, path: number[]): void => {
    if (d === shape.length) {
      if (typeof x !== "number") throw new ShapeError(`tensor: ragged array at index [${path.join("][")}]: expected a number, got an array`);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      const got = Array.isArray(x) ? `length ${x.length}` : "a number";
      throw new ShapeError(`tensor: ragged array at index [${path.join("][")}]: expected length ${shape[d]}, got ${got}`);
    }
    (x as readonly NestedArray[]).forEach((y, i) => check(y, d + 1, [...path, i]));
  };
  check(v, 0, []);
  return shape;
}

function flatten(v: NestedArray | readonly number[]): number[] {
  if (typeof v === "number") return [v];
  const out: number[] = [];
  const rec = (x: NestedArray): void => {
    if (typeof x === "number") out.push(x);
    else for (const y of x) rec(y);
  };
  rec(v as NestedArray);
  return out;
}

/** Accept a Tensor or nested arrays; return a Tensor. */
export function toTensor(x: Tensor | NestedArray, what = "input"): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") throw new ShapeError(`${what}: expected an array or Tensor, got a number`);
  try {
    return tensor(x);
  } catch (e) {
    if (e instanceof ShapeError) throw new ShapeError(e.message.replace(/^tensor:/, `${what}:`));
    throw e;
  }
}

/** Throw a NonFiniteError naming the first NaN or Infinity and its multi-index. */
export function assertFinite(t: Tensor, what: string): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      const idx: number[] = [];
      let r = i;
      for (let k = t.shape.length - 1; k >= 0; k--) {
        idx.unshift(r % t.shape[k]!);
        r = Math.floor(r / t.shape[k]!);
      }
      throw new NonFiniteError(`${what} holds ${d[i]} at index [${idx.join(", ")}]: clean or impute the data first`);
    }
  }
}
