// Column storage for streamed reading: numbers appended in fixed blocks (no doubling, so no moment
// with two copies of a large column alive) and file lines stored as runs, so a clean 30-million-row
// file keeps its line numbers in a few bytes.

const BLOCK_BITS = 16;
const BLOCK = 1 << BLOCK_BITS;
const MASK = BLOCK - 1;

/** An append-only column of float64 values in 64 Ki-value blocks. */
export class BlockColumn {
  private blocks: Float64Array[] = [];
  private last: Float64Array | null = null;
  length = 0;

  push(v: number): void {
    const j = this.length & MASK;
    if (j === 0) {
      this.last = new Float64Array(BLOCK);
      this.blocks.push(this.last);
    }
    this.last![j] = v;
    this.length++;
  }

  get(i: number): number {
    return this.blocks[i >>> BLOCK_BITS]![i & MASK]!;
  }

  set(i: number, v: number): void {
    this.blocks[i >>> BLOCK_BITS]![i & MASK] = v;
  }

  /** A copy as one Float64Array (for small columns). */
  toArray(): Float64Array {
    const out = new Float64Array(this.length);
    this.blocks.forEach((b, k) => out.set(b.subarray(0, Math.min(BLOCK, this.length - k * BLOCK)), k * BLOCK));
    return out;
  }
}

/**
 * File lines of appended rows, stored as runs where `line − row` is constant: one entry for a file
 * without empty lines, multi-line fields or filtered-out rows.
 */
export class LineMap {
  private starts: number[] = [];
  private offsets: number[] = [];
  length = 0;

  push(line: number): void {
    const off = line - this.length;
    if (this.offsets.length === 0 || this.offsets[this.offsets.length - 1] !== off) {
      this.starts.push(this.length);
      this.offsets.push(off);
    }
    this.length++;
  }

  /** File line of row i. */
  get(i: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return i + this.offsets[lo]!;
  }
}
