// Chronological train/validation/test splits: the model is always evaluated on data that
// comes after everything it was trained on, so nothing is ever shuffled.

import { DataError } from "../tensor/errors.js";

/** Half-open index range `[start, end)`. */
export interface IndexRange {
  start: number;
  end: number;
}

/** Ranges in time order: train, then validation, then test; together they cover `[0, n)`. */
export interface ChronologicalSplit {
  train: IndexRange;
  validation: IndexRange;
  test: IndexRange;
}

/**
 * Sizes of the held-out parts: a number in (0, 1) is a fraction of n (rounded, at least 1);
 * an integer ≥ 0 is a count. Omitted means 0.
 */
export interface SplitOptions {
  test?: number;
  validation?: number;
}

function size(n: number, v: number | undefined, what: string): number {
  if (v === undefined || v === 0) return 0;
  if (!Number.isFinite(v) || v < 0) throw new DataError(`splitChronological: ${what} must be a count or a fraction in (0, 1), got ${v}`);
  if (v < 1) return Math.max(1, Math.round(v * n));
  if (!Number.isInteger(v)) throw new DataError(`splitChronological: ${what} ${v} is neither a fraction below 1 nor a whole count`);
  return v;
}

/**
 * Splits `n` items (rows or windows, in time order) into consecutive train, validation and
 * test ranges, the held-out parts taken from the end. When splitting windows, note that
 * the first validation/test windows' inputs overlap the last training targets, which is
 * fine (they are in the past); fit scalers on rows the training windows cover.
 * @throws DataError when the parts leave no training items or n is not a positive integer.
 */
export function splitChronological(n: number, options: SplitOptions = {}): ChronologicalSplit {
  if (!Number.isInteger(n) || n < 1) throw new DataError(`splitChronological: need a positive number of items, got ${n}`);
  const test = size(n, options.test, "test");
  const validation = size(n, options.validation, "validation");
  const train = n - test - validation;
  if (train < 1) {
    throw new DataError(
      `splitChronological: validation ${validation} + test ${test} leaves ${train} of ${n} items for training; need at least 1`,
    );
  }
  return {
    train: { start: 0, end: train },
    validation: { start: train, end: train + validation },
    test: { start: train + validation, end: n },
  };
}
