// How far a result is from a reference, as the parity tests measure it.
import { expect } from "vitest";

/** max|a − b| / max(max|b|, 1e-6): the largest difference relative to the reference's scale; b is the reference. */
export function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0, m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / Math.max(m, 1e-6);
}
