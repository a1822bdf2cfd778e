// Feature scaling fitted on training data only (so validation/test statistics never leak
// into training), invertible for turning predictions back into original units.

import { ConfigError, DataError, ShapeError } from "../tensor/errors.js";

/** One feature: a plain list of values. */
export type FeatureVector = ArrayLike<number>;
/** Several features: rows of `[features]` values, i.e. shape `[n, features]`. */
export type FeatureMatrix = readonly ArrayLike<number>[];

function isMatrix(data: FeatureVector | FeatureMatrix): data is FeatureMatrix {
  return data.length > 0 && typeof (data as ArrayLike<unknown>)[0] === "object";
}

/** JSON form of a {@link MinMaxScaler}. */
export interface MinMaxScalerJSON {
  type: "MinMaxScaler";
  featureRange: [number, number];
  dataMin: number[];
  dataMax: number[];
}

/** JSON form of a {@link StandardScaler}. */
export interface StandardScalerJSON {
  type: "StandardScaler";
  mean: number[];
  std: number[];
}

/**
 * Shared machinery: each feature j maps as x' = (x − offset[j]) / scale[j] + shift, so
 * the inverse is exact algebra. A 1-D input is one feature; a 2-D input is `[n, features]`.
 */
abstract class AffineScaler {
  protected offset: number[] = [];
  protected scale: number[] = [];
  protected shift = 0;
  private isFitted = false;

  protected abstract readonly name: string;
  /** Sets offset/scale from per-feature training columns (all finite, non-empty). */
  protected abstract fitColumns(columns: Float64Array[]): void;

  /** Whether {@link fit} (or `fromJSON`) has set the statistics. */
  get fitted(): boolean {
    return this.isFitted;
  }

  /** Number of features seen by {@link fit}. */
  get nFeatures(): number {
    this.requireFitted("nFeatures");
    return this.offset.length;
  }

  /**
   * Learns per-feature statistics from training data only.
   * @throws DataError on empty data, ragged rows or a non-finite value (impute first).
   */
  fit(data: FeatureVector | FeatureMatrix): this {
    const rows = isMatrix(data) ? data : null;
    const n = data.length;
    if (n === 0) throw new DataError(`${this.name}.fit: no data`);
    const f = rows ? rows[0].length : 1;
    if (f === 0) throw new DataError(`${this.name}.fit: rows have no features`);
    const columns = Array.from({ length: f }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      if (rows && rows[i].length !== f) {
        throw new ShapeError(`${this.name}.fit: row ${i} has ${rows[i].length} values, row 0 has ${f}`);
      }
      for (let j = 0; j < f; j++) {
        const v = rows ? rows[i][j] : (data as FeatureVector)[i];
        if (!Number.isFinite(v)) {
          throw new DataError(`${this.name}.fit: row ${i}, feature ${j} is ${v}; impute missing values before fitting`);
        }
        columns[j][i] = v;
      }
    }
    this.fitColumns(columns);
    this.isFitted = true;
    return this;
  }

  /** Scales data shaped like the training data: 1-D → Float64Array, 2-D → rows. */
  transform(data: FeatureVector): Float64Array;
  transform(data: FeatureMatrix): Float64Array[];
  transform(data: FeatureVector | FeatureMatrix): Float64Array | Float64Array[] {
    return this.apply(data, false, "transform");
  }

  /** Undoes {@link transform}. */
  inverseTransform(data: FeatureVector): Float64Array;
  inverseTransform(data: FeatureMatrix): Float64Array[];
  inverseTransform(data: FeatureVector | FeatureMatrix): Float64Array | Float64Array[] {
    return this.apply(data, true, "inverseTransform");
  }

  /** {@link fit} then {@link transform} on the same data. */
  fitTransform(data: FeatureVector): Float64Array;
  fitTransform(data: FeatureMatrix): Float64Array[];
  fitTransform(data: FeatureVector | FeatureMatrix): Float64Array | Float64Array[] {
    return this.fit(data).apply(data, false, "transform");
  }

  /** Scales values of one feature (e.g. one column of a series) with that feature's statistics. */
  transformFeature(values: FeatureVector, feature: number): Float64Array {
    this.checkFeature(feature, "transformFeature");
    const o = this.offset[feature];
    const s = this.scale[feature];
    return Float64Array.from(values, (x) => (x - o) / s + this.shift);
  }

  /** Undoes {@link transformFeature}, e.g. to bring predictions of one target back to its units. */
  inverseTransformFeature(values: FeatureVector, feature: number): Float64Array {
    this.checkFeature(feature, "inverseTransformFeature");
    const o = this.offset[feature];
    const s = this.scale[feature];
    return Float64Array.from(values, (x) => (x - this.shift) * s + o);
  }

  protected requireFitted(what: string): void {
    if (!this.isFitted) throw new DataError(`${this.name}.${what} called before fit: fit it on the training data first`);
  }

  protected markFitted(): void {
    this.isFitted = true;
  }

  private checkFeature(feature: number, what: string): void {
    this.requireFitted(what);
    if (!Number.isInteger(feature) || feature < 0 || feature >= this.offset.length) {
      throw new ShapeError(`${this.name}.${what}: feature ${feature} out of range; fitted on ${this.offset.length} feature(s)`);
    }
  }

  private apply(data: FeatureVector | FeatureMatrix, inverse: boolean, what: string): Float64Array | Float64Array[] {
    this.requireFitted(what);
    const f = this.offset.length;
    if (!isMatrix(data)) {
      if (f !== 1 && data.length > 0) {
        throw new ShapeError(`${this.name}.${what}: fitted on ${f} features but given a 1-D array; pass rows of ${f} values`);
      }
      return inverse ? this.inverseTransformFeature(data, 0) : this.transformFeature(data, 0);
    }
    return data.map((row, i) => {
      if (row.length !== f) throw new ShapeError(`${this.name}.${what}: row ${i} has ${row.length} values, fitted on ${f} features`);
      const out = new Float64Array(f);
      for (let j = 0; j < f; j++) {
        out[j] = inverse
          ? (row[j] - this.shift) * this.scale[j] + this.offset[j]
          : (row[j] - this.offset[j]) / this.scale[j] + this.shift;
      }
      return out;
    });
  }
}

/**
 * Whether a spread (range or std) is too small to divide by: zero, below float rounding
 * noise of the values' magnitude (as scikit-learn judges it), or so tiny that dividing by it
 * would overflow. Such features are treated as constant and get scale 1.
 */
function negligible(spread: number, magnitude: number): boolean {
  return !(spread > 10 * Number.EPSILON * magnitude) || spread < 1e-300;
}

function numberArray(v: unknown, what: string, name: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
    throw new DataError(`invalid ${name} JSON: "${what}" must be a non-empty array of finite numbers`);
  }
  return v as number[];
}

function checkType(json: unknown, name: string): Record<string, unknown> {
  if (typeof json !== "object" || json === null) throw new DataError(`invalid ${name} JSON: not an object`);
  const obj = json as Record<string, unknown>;
  if (obj.type !== name) throw new DataError(`invalid ${name} JSON: type is ${JSON.stringify(obj.type)}, expected "${name}"`);
  return obj;
}

/**
 * Maps each feature linearly so its training min/max land on `featureRange` (default
 * [0, 1]). A constant feature (range within rounding noise) uses scale 1, its values mapping
 * to the range's low end, rather than dividing by zero. Values outside the training range map outside `featureRange`.
 */
export class MinMaxScaler extends AffineScaler {
  protected readonly name = "MinMaxScaler";
  readonly featureRange: [number, number];
  private dataMin: number[] = [];
  private dataMax: number[] = [];

  /** @throws ConfigError unless low < high, both finite. */
  constructor(featureRange: readonly [number, number] = [0, 1]) {
    super();
    const [lo, hi] = featureRange;
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new ConfigError(`MinMaxScaler: featureRange must be [low, high] with low < high, got [${lo}, ${hi}]`);
    }
    this.featureRange = [lo, hi];
    this.shift = lo;
  }

  protected fitColumns(columns: Float64Array[]): void {
    this.dataMin = columns.map((c) => c.reduce((a, b) => Math.min(a, b), Infinity));
    this.dataMax = columns.map((c) => c.reduce((a, b) => Math.max(a, b), -Infinity));
    this.setParams();
  }

  private setParams(): void {
    const width = this.featureRange[1] - this.featureRange[0];
    this.offset = [...this.dataMin];
    this.scale = this.dataMin.map((lo, j) => {
      const range = this.dataMax[j] - lo;
      return (negligible(range, Math.max(Math.abs(lo), Math.abs(this.dataMax[j]))) ? 1 : range) / width;
    });
  }

  /** Serialisable statistics. @throws DataError before fit. */
  toJSON(): MinMaxScalerJSON {
    this.requireFitted("toJSON");
    return { type: "MinMaxScaler", featureRange: [...this.featureRange], dataMin: [...this.dataMin], dataMax: [...this.dataMax] };
  }

  /** Rebuilds a fitted scaler from {@link toJSON} output. @throws DataError if malformed. */
  static fromJSON(json: unknown): MinMaxScaler {
    const obj = checkType(json, "MinMaxScaler");
    const range = numberArray(obj.featureRange, "featureRange", "MinMaxScaler");
    const dataMin = numberArray(obj.dataMin, "dataMin", "MinMaxScaler");
    const dataMax = numberArray(obj.dataMax, "dataMax", "MinMaxScaler");
    if (range.length !== 2 || !(range[0] < range[1])) throw new DataError(`invalid MinMaxScaler JSON: bad featureRange`);
    if (dataMin.length !== dataMax.length || dataMin.some((m, j) => m > dataMax[j])) {
      throw new DataError(`invalid MinMaxScaler JSON: dataMin and dataMax disagree`);
    }
    const s = new MinMaxScaler([range[0], range[1]]);
    s.dataMin = [...dataMin];
    s.dataMax = [...dataMax];
    s.setParams();
    s.markFitted();
    return s;
  }
}

/**
 * Centres each feature on its training mean and divides by its training standard deviation
 * (population form, dividing by n, as scikit-learn does). A constant feature uses scale 1.
 */
export class StandardScaler extends AffineScaler {
  protected readonly name = "StandardScaler";
  private mean: number[] = [];
  private std: number[] = [];

  protected fitColumns(columns: Float64Array[]): void {
    this.mean = columns.map((c) => c.reduce((a, b) => a + b, 0) / c.length);
    this.std = columns.map((c, j) => {
      const m = this.mean[j];
      return Math.sqrt(c.reduce((a, b) => a + (b - m) * (b - m), 0) / c.length);
    });
    this.setParams();
  }

  private setParams(): void {
    this.offset = [...this.mean];
    this.scale = this.std.map((s, j) => (negligible(s, Math.abs(this.mean[j])) ? 1 : s));
  }

  /** Serialisable statistics. @throws DataError before fit. */
  toJSON(): StandardScalerJSON {
    this.requireFitted("toJSON");
    return { type: "StandardScaler", mean: [...this.mean], std: [...this.std] };
  }

  /** Rebuilds a fitted scaler from {@link toJSON} output. @throws DataError if malformed. */
  static fromJSON(json: unknown): StandardScaler {
    const obj = checkType(json, "StandardScaler");
    const mean = numberArray(obj.mean, "mean", "StandardScaler");
    const std = numberArray(obj.std, "std", "StandardScaler");
    if (mean.length !== std.length || std.some((s) => s < 0)) throw new DataError(`invalid StandardScaler JSON: mean and std disagree`);
    const s = new StandardScaler();
    s.mean = [...mean];
    s.std = [...std];
    s.setParams();
    s.markFitted();
    return s;
  }
}

/** Either scaler. */
export type Scaler = MinMaxScaler | StandardScaler;

/** Rebuilds whichever scaler a JSON object describes (by its `type`). @throws DataError if unknown. */
export function scalerFromJSON(json: unknown): Scaler {
  const type = typeof json === "object" && json !== null ? (json as { type?: unknown }).type : undefined;
  if (type === "MinMaxScaler") return MinMaxScaler.fromJSON(json);
  if (type === "StandardScaler") return StandardScaler.fromJSON(json);
  throw new DataError(`invalid scaler JSON: unknown type ${JSON.stringify(type)}`);
}
