// Determinism and resuming: training resumed from a checkpoint (saved by hand or by modelCheckpoint)
// follows the uninterrupted trajectory bit for bit, with dropout, recurrent dropout, shuffling and Adam.

import { describe, it, expect, afterAll } from "vitest";
import { join } from "node:path";
import { sequential, layers, callbacks, loadModel, Sequential, type History } from "../../src/index.js";
import { sineWindows, tempDir, removeTempDirs, firstBitDifference } from "./fixtures.js";

afterAll(removeTempDirs);

const { x, y } = sineWindows(40, 8, 3);
const FIT = { batchSize: 8, shuffle: true, verbose: 0 } as const;

/** Every source of randomness in training is switched on: input/recurrent dropout, a Dropout layer, a Bidirectional fork, shuffling. */
function makeModel(seed = 5): Sequential {
  const m = sequential([
    layers.input({ shape: [8, 1] }),
    layers.bidirectional(layers.lstm({ units: 6, returnSequences: true, dropout: 0.2, recurrentDropout: 0.2 })),
    layers.dropout({ rate: 0.3 }),
    layers.gru({ units: 4, dropout: 0.1 }),
    layers.dense({ units: 1 }),
  ], { seed });
  m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse", metrics: ["mae"] });
  return m;
}

describe("resuming from a checkpoint follows the uninterrupted run", () => {
  it("3 epochs + save + load + fit(initialEpoch 3) equals 6 straight epochs, bit for bit; so do modelCheckpoint's saves", async () => {
    const ckdir = await tempDir();
    const straight = makeModel();
    const ck = callbacks.modelCheckpoint({ filepath: join(ckdir, "e{epoch}"), saveBestOnly: false });
    const hs = await straight.fit(x, y, { ...FIT, epochs: 6, callbacks: [ck] });
    expect(ck.saved).toEqual([1, 2, 3, 4, 5, 6].map((e) => join(ckdir, `e${e}`)));

    // By hand: a fresh model trained 3 epochs, saved, loaded, resumed.
    const first = makeModel();
    await first.fit(x, y, { ...FIT, epochs: 3 });
    const dir = await tempDir();
    await first.save(dir);
    const resumed = await loadModel(dir);
    expect(resumed.epochsTrained).toBe(3);
    const hr = await resumed.fit(x, y, { ...FIT, epochs: 6, initialEpoch: 3 });
    expect(hr.epoch).toEqual([3, 4, 5]);
    expect(firstBitDifference(resumed.parameters, straight.parameters)).toBe(-1);
    expect(hr.history.loss).toEqual(hs.history.loss!.slice(3));
    resumed.optimizer!.slots.forEach((s, k) => expect(firstBitDifference(s, straight.optimizer!.slots[k]!)).toBe(-1));
    expect(resumed.optimizer!.iterations).toBe(straight.optimizer!.iterations);

    // From the callback's directory of epoch 3.
    const fromCk = await loadModel(join(ckdir, "e3"));
    await fromCk.fit(x, y, { ...FIT, epochs: 6, initialEpoch: 3 });
    expect(firstBitDifference(fromCk.parameters, straight.parameters)).toBe(-1);
    // and the epoch-6 checkpoint holds the final weights
    expect(firstBitDifference((await loadModel(join(ckdir, "e6"))).parameters, straight.parameters)).toBe(-1);

    // The trajectory really moved between epoch 3 and 6 (else the comparison above proves little).
    expect(firstBitDifference(first.parameters, straight.parameters)).not.toBe(-1);
  });

  it("continuing the same in-memory model with initialEpoch equals the straight run", async () => {
    const straight = makeModel();
    await straight.fit(x, y, { ...FIT, epochs: 4 });
    const split = makeModel();
    await split.fit(x, y, { ...FIT, epochs: 2 });
    await split.fit(x, y, { ...FIT, epochs: 4, initialEpoch: 2 });
    expect(firstBitDifference(split.parameters, straight.parameters)).toBe(-1);
    expect(split.epochsTrained).toBe(4);
  });

  it("resuming with the wrong initialEpoch leaves the trajectory (the epoch drives the random streams)", async () => {
    const straight = makeModel();
    await straight.fit(x, y, { ...FIT, epochs: 4 });
    const wrong = makeModel();
    await wrong.fit(x, y, { ...FIT, epochs: 2 });
    await wrong.fit(x, y, { ...FIT, epochs: 2, initialEpoch: 0 }); // epochs 0, 1 again: same masks and order as the first two
    expect(firstBitDifference(wrong.parameters, straight.parameters)).not.toBe(-1);
  });
});

describe("calling fit again continues the run", () => {
  it("two calls of 2 epochs equal one call of 4, bit for bit; history and callbacks see epochs 3 and 4", async () => {
    const straight = makeModel();
    const hs = await straight.fit(x, y, { ...FIT, epochs: 4 });
    const split = makeModel();
    await split.fit(x, y, { ...FIT, epochs: 2 });
    const begun: number[] = [];
    const h2 = await split.fit(x, y, { ...FIT, epochs: 2, callbacks: [{ onEpochBegin: (e) => void begun.push(e) }] });
    expect(h2.epoch).toEqual([2, 3]);
    expect(begun).toEqual([2, 3]);
    expect(split.epochsTrained).toBe(4);
    expect(h2.history.loss).toEqual(hs.history.loss!.slice(2));
    expect(firstBitDifference(split.parameters, straight.parameters)).toBe(-1);
  });

  it("a second call draws new dropout masks (the old behaviour repeated the first call's)", async () => {
    // with a learning rate of 0 the weights never move, so an epoch's loss depends only on the masks
    const frozen = (): Sequential => {
      const m = makeModel();
      m.compile({ optimizer: { type: "sgd", learningRate: 0 }, loss: "mse" });
      return m;
    };
    const m = frozen();
    const a = await m.fit(x, y, { ...FIT, epochs: 1 });
    const b = await m.fit(x, y, { ...FIT, epochs: 1 });
    expect(b.epoch).toEqual([1]);
    expect(b.history.loss![0]).not.toBe(a.history.loss![0]);
    // and it is the loss a single two-epoch call sees in its second epoch
    const both = await frozen().fit(x, y, { ...FIT, epochs: 2 });
    expect(both.history.loss).toEqual([a.history.loss![0], b.history.loss![0]]);
    // an explicit initialEpoch: 0 repeats epoch 0 on purpose
    const again = await m.fit(x, y, { ...FIT, epochs: 1, initialEpoch: 0 });
    expect(again.history.loss).toEqual(a.history.loss);
  });

  it("stays deterministic: the same seed and the same sequence of calls give the same weights", async () => {
    const run = async (): Promise<Float32Array> => {
      const m = makeModel(9);
      await m.fit(x, y, { ...FIT, epochs: 1 });
      await m.fit(x, y, { ...FIT, epochs: 2 });
      return m.parameters.slice();
    };
    expect(firstBitDifference(await run(), await run())).toBe(-1);
  });

  it("a loaded model continues from its saved epoch count", async () => {
    const dir = join(await tempDir(), "m");
    const straight = makeModel();
    await straight.fit(x, y, { ...FIT, epochs: 3 });
    const first = makeModel();
    await first.fit(x, y, { ...FIT, epochs: 2 });
    await first.save(dir);
    const back = await loadModel(dir);
    const h = await back.fit(x, y, { ...FIT, epochs: 1 });
    expect(h.epoch).toEqual([2]);
    expect(firstBitDifference(back.parameters, straight.parameters)).toBe(-1);
  });
});

describe("seeds", () => {
  async function run(seed: number): Promise<{ m: Sequential; h: History }> {
    const m = makeModel(seed);
    const h = await m.fit(x, y, { ...FIT, epochs: 2 });
    return { m, h };
  }

  it("the same seed gives bit-identical weights and losses in two fresh runs", async () => {
    const a = await run(21), b = await run(21);
    expect(firstBitDifference(a.m.parameters, b.m.parameters)).toBe(-1);
    expect(a.h.history).toEqual(b.h.history);
  });

  it("a different seed gives different initial weights and different trained weights", async () => {
    expect(firstBitDifference(makeModel(21).parameters, makeModel(22).parameters)).not.toBe(-1);
    const a = await run(21), c = await run(22);
    let differing = 0;
    for (let i = 0; i < a.m.parameters.length; i++) if (a.m.parameters[i] !== c.m.parameters[i]) differing++;
    // essentially every weight differs, not just a few
    expect(differing / a.m.parameters.length).toBeGreaterThan(0.9);
  });
});
