// After a loss stops being finite, fit goes back to the last consistent point: the weights AND the
// optimizer's state (Adam's moments, the step count) from before the last step. Restoring only the
// weights kept poisoned moments, so training on went NaN again at once. EarlyStopping's
// restoreBestWeights goes back through the same snapshot.

import { describe, it, expect } from "vitest";
import { sequential, layers, callbacks, type Sequential, type Callback } from "../../src/index.js";
import { sineWindows, firstBitDifference } from "./fixtures.js";

const { x, y } = sineWindows(40, 6, 9); // 5 batches of 8

function adam(): Sequential {
  const m = sequential([layers.input({ shape: [6, 1] }), layers.lstm({ units: 4 }), layers.dense({ units: 1 })], { seed: 3 });
  m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" });
  return m;
}

/**
 * What an overflowing gradient does inside one step: at the end of (epoch, batch) a weight and both
 * Adam moments of it become NaN. Records the optimizer state each batch started from.
 */
function overflow(epoch: number, batch: number): Callback & { starts: Map<string, { it: number; m: Float32Array; v: Float32Array }> } {
  let e = -1;
  return {
    starts: new Map(),
    onEpochBegin(ep) { e = ep; },
    onBatchBegin(b) {
      const o = this.model!.optimizer!;
      this.starts.set(`${e}:${b}`, { it: o.iterations, m: o.slots[0]?.slice() ?? new Float32Array(0), v: o.slots[1]?.slice() ?? new Float32Array(0) });
    },
    onBatchEnd(b) {
      if (e !== epoch || b !== batch) return;
      const m = this.model!;
      m.parameters[7] = NaN;
      m.optimizer!.slots[0]![7] = NaN;
      m.optimizer!.slots[1]![7] = NaN;
    },
  };
}

describe("a NaN stop restores the optimizer's state with the weights", () => {
  it("terminateOnNaN: moments and step count go back to before the last step, and training on stays finite", async () => {
    const m = adam();
    const cb = overflow(1, 2);
    const h = await m.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0, callbacks: [cb, callbacks.terminateOnNaN()] });
    expect(h.stopReason).toMatch(/^loss became NaN at epoch 2, batch 4;/);
    const start = cb.starts.get("1:2")!; // the step of batch 3 of epoch 2 is undone
    const o = m.optimizer!;
    expect(o.iterations).toBe(start.it);
    expect(o.iterations).toBe(7);
    expect(firstBitDifference(o.slots[0]!, start.m)).toBe(-1);
    expect(firstBitDifference(o.slots[1]!, start.v)).toBe(-1);
    expect(o.slots.every((s) => s.every(Number.isFinite))).toBe(true);

    const more = await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(more.history.loss!.every(Number.isFinite)).toBe(true);
    expect(more.stopReason).toBeUndefined();
    expect(m.parameters.every(Number.isFinite)).toBe(true);
  });

  it("the throwing path (no terminateOnNaN) restores the optimizer too", async () => {
    const m = adam();
    await expect(m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0, callbacks: [overflow(0, 1)] })).rejects.toThrow(/loss became NaN at epoch 1, batch 3/);
    expect(m.optimizer!.iterations).toBe(1);
    expect(m.optimizer!.slots.every((s) => s.every(Number.isFinite))).toBe(true);
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    expect(h.history.loss!.every(Number.isFinite)).toBe(true);
  });
});

describe("restoreBestWeights shares the snapshot", () => {
  it("the weights and the optimizer state of the best epoch come back together", async () => {
    const m = adam();
    const { x: xv, y: yv } = sineWindows(16, 6, 4);
    let atBest: { it: number; m: Float32Array; w: Float32Array } | null = null;
    const stopper = callbacks.earlyStopping({ monitor: "val_loss", patience: 50, restoreBestWeights: true });
    const spy: Callback = {
      onEpochEnd(epoch) {
        if (epoch === stopper.bestEpoch) {
          const o = this.model!.optimizer!;
          atBest = { it: o.iterations, m: o.slots[0]!.slice(), w: this.model!.parameters.slice() };
        }
      },
    };
    // a learning rate that overshoots late, so the best epoch is not the last
    m.compile({ optimizer: { type: "adam", learningRate: 0.3 }, loss: "mse" });
    await m.fit(x, y, { epochs: 12, batchSize: 8, verbose: 0, validationData: [xv, yv], callbacks: [stopper, spy] });
    expect(stopper.bestEpoch).toBeLessThan(11);
    expect(atBest).not.toBeNull();
    const best = atBest as unknown as { it: number; m: Float32Array; w: Float32Array };
    expect(firstBitDifference(m.parameters, best.w)).toBe(-1);
    expect(m.optimizer!.iterations).toBe(best.it);
    expect(firstBitDifference(m.optimizer!.slots[0]!, best.m)).toBe(-1);
  });
});
