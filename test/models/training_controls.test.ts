// The training controls Keras users reach for: frozen layers (trainable = false), custom losses and
// metrics, Keras's loss and metric names, and per-sample / per-class weights in fit and evaluate.

import { describe, it, expect, afterAll } from "vitest";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { sequential, layers, loadModel, Tensor, ConfigError, ShapeError, Optimizer, type Sequential } from "../../src/index.js";
import { uniform, sineWindows, tempDir, removeTempDirs, firstBitDifference, maxAbsDiff } from "./fixtures.js";

afterAll(removeTempDirs);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const any = (v: unknown): any => v;

function refusal(f: () => unknown): Promise<Error> {
  return (async () => {
    try {
      await f();
    } catch (e) {
      return e as Error;
    }
    throw new Error("expected a refusal");
  })();
}

/** A small recurrent regressor: lstm(4) → dense(3) → dense(1). */
function regressor(opts: { seed?: number; threads?: number } = {}): Sequential {
  return sequential([
    layers.input({ shape: [6, 1] }),
    layers.lstm({ units: 4, name: "lstm" }),
    layers.dense({ units: 3, activation: "tanh", name: "hidden" }),
    layers.dense({ units: 1, name: "out" }),
  ], { seed: opts.seed ?? 3, threads: opts.threads ?? 1 });
}

/** Flat-buffer range [start, end) of a layer's weights. */
function rangeOf(m: Sequential, name: string): [number, number] {
  let off = 0;
  for (const l of m.layers) {
    const n = l.countParams();
    if (l.name === name) return [off, off + n];
    off += n;
  }
  throw new Error(name);
}

describe("trainable = false", () => {
  it("a frozen layer keeps its weights and its optimizer moments; the others train", async () => {
    const { x, y } = sineWindows(64, 6, 1);
    const m = regressor();
    m.getLayer("hidden").trainable = false;
    m.compile({ optimizer: { type: "adamw", learningRate: 0.02 }, loss: "mse" });
    const before = m.parameters.slice();
    await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
    const [a, b] = rangeOf(m, "hidden");
    // not even AdamW's decay or Adam's momentum moves a frozen weight
    expect(firstBitDifference(m.parameters.subarray(a, b), before.subarray(a, b))).toBe(-1);
    for (const s of m.optimizer!.slots) expect(Array.from(s.subarray(a, b)).every((v) => v === 0)).toBe(true);
    for (const name of ["lstm", "out"]) {
      const [c, d] = rangeOf(m, name);
      expect(maxAbsDiff(m.parameters.subarray(c, d), before.subarray(c, d))).toBeGreaterThan(1e-3);
      expect(m.optimizer!.slots[1]!.subarray(c, d).some((v) => v > 0)).toBe(true);
    }
    // unfreezing takes effect at the next step
    m.getLayer("hidden").trainable = true;
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    expect(maxAbsDiff(m.parameters.subarray(a, b), before.subarray(a, b))).toBeGreaterThan(1e-4);
  });

  it("the optimizer zeroes frozen gradients before clipping and updates only the trainable ranges", () => {
    const opt = new Optimizer({ type: "sgd", learningRate: 1, clipNorm: 1 });
    const w = new Float32Array([1, 1, 1, 1]);
    const g = new Float32Array([3, 4, 100, 100]);
    opt.step(w, g, undefined, [[0, 2]]);
    // the norm is the trainable gradients' (5), not 100-something
    [1 - 0.6, 1 - 0.8, 1, 1].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 6));
    expect(Array.from(g.subarray(2))).toEqual([0, 0]);
  });

  it("summary shows trainable and non-trainable counts as Keras does", () => {
    const m = regressor();
    m.getLayer("lstm").trainable = false;
    const lstm = 4 * (4 * (1 + 4) + 4); // 96
    const rest = 4 * 3 + 3 + 3 + 1; // 19
    expect(m.countParams()).toBe(lstm + rest);
    expect(m.countTrainableParams()).toBe(rest);
    const s = m.summary();
    expect(s).toContain(` Total params: ${lstm + rest} (${(lstm + rest) * 4}.00 B)`);
    expect(s).toContain(` Trainable params: ${rest} (${rest * 4}.00 B)`);
    expect(s).toContain(` Non-trainable params: ${lstm} (${lstm * 4}.00 B)`);
  });

  it("a wrapper's flag covers its wrapped layers; a wrapped layer can be frozen alone", () => {
    const make = (): Sequential => sequential([
      layers.input({ shape: [5, 2] }),
      layers.bidirectional(layers.gru({ units: 3 }), { name: "bi" }),
      layers.dense({ units: 1 }),
    ]);
    const m = make();
    const bi = m.getLayer("bi");
    const gruParams = bi.countParams() / 2;
    bi.trainable = false;
    expect(bi.children().every((c) => !c.trainable)).toBe(true);
    expect(m.countTrainableParams()).toBe(m.countParams() - 2 * gruParams);
    const n = make();
    n.getLayer("bi").children()[1]!.trainable = false;
    expect(n.countTrainableParams()).toBe(n.countParams() - gruParams);
    expect(n.trainableRanges()).toEqual([[0, gruParams], [2 * gruParams, n.countParams()]]);
  });

  it("trainable must be a boolean", async () => {
    const m = regressor();
    const e = await refusal(() => { m.getLayer("lstm").trainable = any("no"); });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('layer "lstm": trainable must be true or false, got "no"');
  });

  it("survives save and load (model.json), and training after loading keeps the layer frozen", async () => {
    const { x, y } = sineWindows(32, 6, 2);
    const m = sequential([
      layers.input({ shape: [6, 1] }),
      layers.bidirectional(layers.lstm({ units: 3 }), { name: "bi" }),
      layers.dense({ units: 2, name: "hidden" }),
      layers.dense({ units: 1, name: "out" }),
    ], { seed: 2, threads: 1 });
    m.getLayer("hidden").trainable = false;
    m.getLayer("bi").children()[0]!.trainable = false;
    m.compile({ optimizer: "adam", loss: "mse" });
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const dir = await tempDir();
    await m.save(dir);
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    expect(json.layers.map((l: { trainable?: boolean }) => l.trainable)).toEqual([undefined, undefined, false, undefined]);
    expect(json.layers[1].trainableChildren).toEqual([false, true]);
    const n = await loadModel(dir);
    expect(n.getLayer("hidden").trainable).toBe(false);
    expect(n.getLayer("bi").children().map((c) => c.trainable)).toEqual([false, true]);
    expect(n.summary()).toBe(m.summary());
    const before = n.parameters.slice();
    await n.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const [a, b] = rangeOf(n as Sequential, "hidden");
    expect(firstBitDifference(n.parameters.subarray(a, b), before.subarray(a, b))).toBe(-1);
    const half = n.getLayer("bi").countParams() / 2; // the forward LSTM, frozen inside the wrapper
    expect(firstBitDifference(n.parameters.subarray(0, half), before.subarray(0, half))).toBe(-1);
    expect(maxAbsDiff(n.parameters.subarray(half, 2 * half), before.subarray(half, 2 * half))).toBeGreaterThan(1e-4);
    // the resumed run equals the uninterrupted one
    expect(firstBitDifference(n.parameters, m.parameters)).toBe(-1);
  });

  it("with threads: the workers' gradients are summed, then the frozen ones dropped", async () => {
    const { x, y } = sineWindows(64, 6, 3);
    const run = async (threads: number) => {
      const m = regressor({ threads });
      m.getLayer("lstm").trainable = false;
      m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" });
      const before = m.parameters.slice();
      const h = await m.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
      return { m, before, loss: h.history.loss! };
    };
    const one = await run(1);
    const two = await run(2);
    const [a, b] = rangeOf(two.m, "lstm");
    expect(firstBitDifference(two.m.parameters.subarray(a, b), two.before.subarray(a, b))).toBe(-1);
    expect(maxAbsDiff(two.m.parameters.subarray(b), two.before.subarray(b))).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(two.m.parameters, one.m.parameters)).toBeLessThan(1e-4);
    two.loss.forEach((l, k) => expect(Math.abs(l - one.loss[k]!) / one.loss[k]!).toBeLessThan(1e-4));
    two.m.dispose();
  });
});

/** mse as a custom loss: per-sample mean of squares, and its gradient. */
const customMse = {
  name: "myMse",
  forward(yTrue: Tensor, yPred: Tensor): number[] {
    const B = yPred.shape[0]!, per = yPred.size / B;
    return Array.from({ length: B }, (_, i) => {
      let s = 0;
      for (let j = i * per; j < (i + 1) * per; j++) s += (yPred.data[j]! - yTrue.data[j]!) ** 2;
      return s / per;
    });
  },
  backward(yTrue: Tensor, yPred: Tensor): Float32Array {
    const per = yPred.size / yPred.shape[0]!;
    return yPred.data.map((p, j) => (2 * (p - yTrue.data[j]!)) / per);
  },
};

function absError(yTrue: Tensor, yPred: Tensor): Float32Array {
  return yPred.data.map((p, j) => Math.abs(p - yTrue.data[j]!));
}

describe("custom losses and metrics", () => {
  it("a custom loss { name, forward, backward } trains as the built-in it reimplements; names show in history and logs", async () => {
    const { x, y } = sineWindows(48, 6, 4);
    const run = async (loss: unknown, metrics: unknown[]) => {
      const m = regressor();
      m.compile({ optimizer: "adam", loss: any(loss), metrics: any(metrics) });
      const seen: string[][] = [];
      const h = await m.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0, callbacks: [{ onEpochEnd: (_e: number, logs: Record<string, number>) => { seen.push(Object.keys(logs)); } }] });
      return { m, h, seen };
    };
    const builtin = await run("mse", ["mae"]);
    const custom = await run(customMse, [absError, { name: "worst", fn: (t: Tensor, p: Tensor) => p.data.map((v, j) => (v - t.data[j]!) ** 2) }]);
    expect(Object.keys(custom.h.history)).toEqual(["loss", "absError", "worst"]);
    expect(custom.seen[0]).toEqual(["loss", "absError", "worst"]);
    expect(custom.m.loss!.name).toBe("myMse");
    custom.h.history.loss!.forEach((l, k) => expect(Math.abs(l - builtin.h.history.loss![k]!) / l).toBeLessThan(1e-5));
    custom.h.history.absError!.forEach((v, k) => expect(Math.abs(v - builtin.h.history.mae![k]!) / v).toBeLessThan(1e-5));
    custom.h.history.worst!.forEach((v, k) => expect(Math.abs(v - builtin.h.history.loss![k]!) / v).toBeLessThan(1e-3));
    expect(maxAbsDiff(custom.m.parameters, builtin.m.parameters)).toBeLessThan(1e-5);
    const ev = custom.m.evaluate(x, y);
    expect(Math.abs(ev.loss! - builtin.m.evaluate(x, y).loss!) / ev.loss!).toBeLessThan(1e-5);
  });

  it("refuses what cannot work: a plain function as a loss, bad returns, anonymous or clashing metrics, threads", async () => {
    const m = regressor();
    const compile = (o: object) => () => m.compile(any({ optimizer: "sgd", loss: "mse", ...o }));
    expect((await refusal(compile({ loss: (a: Tensor, b: Tensor) => a.size + b.size }))).message).toMatch(/^compile: loss is a plain function; .*\{ name, forward\(yTrue, yPred\)/);
    expect((await refusal(compile({ loss: { name: "x", forward: () => [] } }))).message).toMatch(/^compile: loss.backward is required/);
    expect((await refusal(compile({ loss: { name: "", forward: () => [], backward: () => [] } }))).message).toMatch(/^compile: loss.name must be a non-empty string/);
    expect((await refusal(compile({ metrics: [(a: Tensor) => a.data] }))).message).toMatch(/metrics\[0\] is an anonymous function/);
    expect((await refusal(compile({ metrics: ["mae", "mean_absolute_error"] }))).message).toBe('compile: metric "mae" is given twice; give each metric once, under its own name');
    expect((await refusal(compile({ metrics: [{ name: "loss", fn: absError }] }))).message).toMatch(/cannot be named "loss"/);
    expect((await refusal(compile({ metrics: [{ name: "f", fn: absError, extra: 1 }] }))).message).toMatch(/unknown option 'extra'/);

    const { x, y } = sineWindows(8, 6, 5);
    m.compile({ optimizer: "sgd", loss: { ...customMse, forward: () => [1, 2] } });
    expect((await refusal(() => m.fit(x, y, { verbose: 0 }))).message).toBe('loss "myMse": forward returned 2 values; it must return one loss per sample: 8 values');
    m.compile({ optimizer: "sgd", loss: { ...customMse, backward: () => new Float32Array(3) } });
    expect((await refusal(() => m.fit(x, y, { verbose: 0 }))).message).toMatch(/^loss "myMse": backward returned 3 values; it must return the gradient of each sample's loss, in yPred's shape \[8, 1\]: 8 values/);
    m.compile({ optimizer: "sgd", loss: "mse", metrics: [any(function bad() { return "x"; })] });
    expect((await refusal(() => m.fit(x, y, { verbose: 0 }))).message).toMatch(/^metric "bad" must return one value per sample/);

    const t = regressor({ threads: 2 });
    t.compile({ optimizer: "sgd", loss: customMse });
    const e = await refusal(() => t.fit(x, y, { verbose: 0 }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/custom loss \("myMse"\) runs on the calling thread only .* use threads: 1/);
  });

  it("save and load: the names are kept, the code must be passed again, and the optimizer state survives", async () => {
    const { x, y } = sineWindows(32, 6, 6);
    const m = regressor();
    m.compile({ optimizer: "adam", loss: customMse, metrics: ["mae", absError] });
    await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const dir = await tempDir();
    await m.save(dir);
    const json = JSON.parse(await readFile(join(dir, "model.json"), "utf8"));
    expect(json.compile.loss).toEqual({ name: "myMse", custom: true });
    expect(json.compile.metrics).toEqual(["mae", "absError"]);
    expect(json.compile.customMetrics).toEqual(["absError"]);

    // without the functions: it predicts, and fit / evaluate say what to pass
    const bare = await loadModel(dir);
    expect(firstBitDifference((bare.predict(x) as Tensor).data, m.predict(x).data)).toBe(-1);
    const e = await refusal(() => bare.fit(x, y, { verbose: 0 }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toBe('fit: this model was saved compiled with the custom loss "myMse" and the custom metric "absError", whose code a model file cannot hold; pass them again: loadModel(dir, { customObjects: { myMse, absError } }), or model.compile({ optimizer: model.optimizer, loss, metrics }) (passing model.optimizer keeps its saved moments)');
    expect((await refusal(() => bare.evaluate(x, y))).message).toMatch(/^evaluate: this model was saved compiled with the custom loss "myMse"/);
    // saving it again keeps the record of what is missing
    const dir2 = await tempDir();
    await bare.save(dir2);
    expect(JSON.parse(await readFile(join(dir2, "model.json"), "utf8")).compile).toEqual(json.compile);

    // with them, training resumes exactly where the uninterrupted run goes
    const back = await loadModel(dir, { customObjects: { myMse: customMse, absError } });
    const again = await loadModel(dir);
    again.compile({ optimizer: again.optimizer!, loss: customMse, metrics: ["mae", absError] });
    const hm = await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const hb = await back.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    await again.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(hb.history).toEqual(hm.history);
    expect(firstBitDifference(back.parameters, m.parameters)).toBe(-1);
    expect(firstBitDifference(again.parameters, m.parameters)).toBe(-1);
    await expect(loadModel(dir, { customObjects: { myMse: any("mse") } })).rejects.toThrow(/customObjects.myMse must be the custom loss/);
    await expect(loadModel(dir, any({ custom: {} }))).rejects.toThrow("loadModel: unknown option 'custom'; valid options are customObjects");
  });
});

describe("Keras's loss and metric names", () => {
  it("every Keras name (snake_case, camelCase, class name) resolves to the same loss", () => {
    const cases: [string, string][] = [
      ["mean_squared_error", "mse"], ["mse", "mse"], ["meanSquaredError", "mse"], ["MeanSquaredError", "mse"],
      ["mean_absolute_error", "mae"], ["mae", "mae"], ["meanAbsoluteError", "mae"],
      ["huber", "huber"], ["huber_loss", "huber"],
      ["binary_crossentropy", "binaryCrossentropy"], ["BinaryCrossentropy", "binaryCrossentropy"],
      ["categorical_crossentropy", "categoricalCrossentropy"], ["categoricalCrossentropy", "categoricalCrossentropy"],
      ["sparse_categorical_crossentropy", "sparseCategoricalCrossentropy"], ["SparseCategoricalCrossentropy", "sparseCategoricalCrossentropy"],
    ];
    for (const [given, want] of cases) {
      const m = regressor();
      m.compile({ optimizer: "sgd", loss: given });
      expect(m.loss!.name, given).toBe(want);
    }
    const m = regressor();
    m.compile({ optimizer: "sgd", loss: { name: "binary_crossentropy", fromLogits: true } });
    expect(m.loss).toEqual({ name: "binaryCrossentropy", fromLogits: true });
  });

  it("metric names: accuracy / acc and the error metrics, under their canonical history keys", async () => {
    const cases: [string, string][] = [
      ["mean_squared_error", "mse"], ["mean_absolute_error", "mae"], ["mean_absolute_percentage_error", "mape"],
      ["MeanAbsolutePercentageError", "mape"], ["root_mean_squared_error", "rmse"], ["RootMeanSquaredError", "rmse"],
      ["acc", "accuracy"], ["accuracy", "accuracy"], ["binary_accuracy", "accuracy"], ["sparseCategoricalAccuracy", "accuracy"],
    ];
    for (const [given, want] of cases) {
      const m = regressor();
      m.compile({ optimizer: "sgd", loss: "mse", metrics: [given] });
      expect(m.metrics, given).toEqual([want]);
    }
    const { x, y } = sineWindows(16, 6, 7);
    const a = regressor(), b = regressor();
    a.compile({ optimizer: "adam", loss: "mean_squared_error", metrics: ["root_mean_squared_error"] });
    b.compile({ optimizer: "adam", loss: "mse", metrics: ["rmse"] });
    const ha = await a.fit(x, y, { epochs: 2, verbose: 0 });
    const hb = await b.fit(x, y, { epochs: 2, verbose: 0 });
    expect(ha.history).toEqual(hb.history);
    expect(Object.keys(ha.history)).toEqual(["loss", "rmse"]);
  });

  it("unknown names are refused with the nearest valid one", async () => {
    const m = regressor();
    const msg = async (o: object) => (await refusal(() => m.compile(any({ optimizer: "sgd", loss: "mse", ...o })))).message;
    expect(await msg({ loss: "mean_squared_eror" })).toBe('unknown loss "mean_squared_eror" (did you mean "mean_squared_error"?); choose one of mse, mae, huber, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy');
    expect(await msg({ loss: "binary_crossentropyy" })).toMatch(/^unknown loss "binary_crossentropyy" \(did you mean "binary_crossentropy"\?\)/);
    expect(await msg({ loss: { name: "hubber" } })).toMatch(/^unknown loss "hubber" \(did you mean "huber"\?\)/);
    expect(await msg({ metrics: ["acuracy"] })).toBe('unknown metric "acuracy" (did you mean "accuracy"?); choose one of mse, mae, rmse, mape, accuracy');
    expect(await msg({ metrics: ["mean_absolut_error"] })).toMatch(/did you mean "mean_absolute_error"/);
    // a metric's name is not a typo of a loss
    expect(await msg({ loss: "rmse" })).toBe('unknown loss "rmse"; choose one of mse, mae, huber, binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy');
  });
});

/** Per-sample mse from predictions. */
function perSampleMse(pred: Tensor, y: Tensor): number[] {
  const B = pred.shape[0]!, per = pred.size / B;
  return Array.from({ length: B }, (_, i) => {
    let s = 0;
    for (let j = i * per; j < (i + 1) * per; j++) s += (pred.data[j]! - y.data[j]!) ** 2;
    return s / per;
  });
}

describe("sampleWeight and classWeight", () => {
  it("the weighted loss is the sum of weighted losses divided by the batch size (Keras), also for sequence outputs", () => {
    const x = uniform([5, 4, 2], 8);
    const m = sequential([layers.input({ shape: [4, 2] }), layers.gru({ units: 3, returnSequences: true }), layers.dense({ units: 2 })], { seed: 1, threads: 1 });
    m.compile({ optimizer: "sgd", loss: "mse" });
    const y = uniform([5, 4, 2], 9);
    const w = [2, 0, 1, 0.5, 3];
    const l = perSampleMse(m.predict(x), y);
    const want = l.reduce((s, li, i) => s + w[i]! * li, 0) / 5; // not / Σw = 6.5
    for (const batchSize of [5, 2]) {
      const got = m.evaluate(x, y, { sampleWeight: w, batchSize }).loss!;
      expect(Math.abs(got - want) / want).toBeLessThan(1e-5);
    }
    expect(Math.abs(m.evaluate(x, y, { sampleWeight: new Float32Array(5).fill(1) }).loss! - m.evaluate(x, y).loss!)).toBeLessThan(1e-6);
  });

  it("a weight of 2 equals the sample given twice (with the batch-size scale), a weight of 0 ignores the sample", async () => {
    const { x, y } = sineWindows(6, 6, 10);
    const dup = [0, 0, 1, 2, 3, 4, 5]; // sample 0 twice
    const gather = (t: Tensor, rows: number[]) => t.gather0(Int32Array.from(rows), 0, rows.length);
    // full-batch SGD: Σ w l / 6 with lr·(6/7) steps exactly as Σ l / 7 over the duplicated set with lr
    const a = regressor(), b = regressor();
    a.compile({ optimizer: { type: "sgd", learningRate: 0.1 * 6 / 7 }, loss: "mse" });
    b.compile({ optimizer: { type: "sgd", learningRate: 0.1 }, loss: "mse" });
    await a.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0, sampleWeight: [2, 1, 1, 1, 1, 1] });
    await b.fit(gather(x, dup), gather(y, dup), { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
    expect(maxAbsDiff(a.parameters, b.parameters)).toBeLessThan(1e-6);
    expect(maxAbsDiff(a.parameters, regressor().parameters)).toBeGreaterThan(1e-3);
    expect(Math.abs(6 * a.evaluate(x, y, { sampleWeight: [2, 1, 1, 1, 1, 1] }).loss! - 7 * a.evaluate(gather(x, dup), gather(y, dup)).loss!)).toBeLessThan(1e-5);

    // weight 0: the sample (with an absurd target) changes nothing but the divisor
    const yBad = new Tensor(y.data.slice(), y.shape);
    yBad.data[2] = 1e6;
    const keep = [0, 1, 3, 4, 5];
    const c = regressor(), d = regressor();
    c.compile({ optimizer: "sgd", loss: "mse" });
    d.compile({ optimizer: "sgd", loss: "mse" });
    c.zeroGrads();
    const lc = c.trainStep(x, yBad, 6, new Float32Array([1, 1, 0, 1, 1, 1])).loss;
    d.zeroGrads();
    const ld = d.trainStep(gather(x, keep), gather(y, keep)).loss;
    expect(Math.abs(6 * lc - 5 * ld)).toBeLessThan(1e-5);
    const gc = c.gradients.map((g) => g * 6), gd = d.gradients.map((g) => g * 5);
    expect(maxAbsDiff(gc, gd)).toBeLessThan(1e-5 * Math.max(1, ...Array.from(gd, Math.abs)));
  });

  it("gradient check of the weighted loss (central differences), regression and categorical", () => {
    const check = (make: () => Sequential, loss: string, y: Tensor) => {
      const x = uniform([4, 3, 2], 11);
      const w = new Float32Array([0.5, 2, 0, 1.5]);
      const m = make();
      m.compile({ optimizer: "sgd", loss });
      m.zeroGrads();
      m.trainStep(x, y, 4, w);
      const g = m.gradients.slice();
      const h = 1e-2;
      let worst = 0;
      const scale = Math.max(...Array.from(g, Math.abs));
      for (let i = 0; i < m.parameters.length; i++) {
        const v = m.parameters[i]!;
        m.parameters[i] = v + h;
        const up = m.evaluate(x, y, { sampleWeight: w }).loss!;
        m.parameters[i] = v - h;
        const down = m.evaluate(x, y, { sampleWeight: w }).loss!;
        m.parameters[i] = v;
        worst = Math.max(worst, Math.abs((up - down) / (2 * h) - g[i]!));
      }
      expect(scale).toBeGreaterThan(1e-2);
      expect(worst / scale).toBeLessThan(2e-2);
    };
    check(() => sequential([layers.input({ shape: [3, 2] }), layers.simpleRnn({ units: 3 }), layers.dense({ units: 2 })], { seed: 4, threads: 1 }), "mse", uniform([4, 2], 12));
    check(() => sequential([layers.input({ shape: [3, 2] }), layers.lstm({ units: 3 }), layers.dense({ units: 3, activation: "softmax" })], { seed: 5, threads: 1 }),
      "sparse_categorical_crossentropy", new Tensor(new Float32Array([0, 2, 1, 2]), [4]));
  });

  it("classWeight on an imbalanced task moves the decision toward the rare class; it equals the matching sampleWeight", async () => {
    // class 0: 90 %, feature around 0; class 1: 10 %, feature around 1 (overlapping)
    const n = 400;
    const xs = uniform([n, 1], 13, 1);
    const noise = uniform([n, 1], 14, 1);
    const x = new Float32Array(n), y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % 10 === 0 ? 1 : 0;
      x[i] = y[i]! + 1.2 * (xs.data[i]! + noise.data[i]!);
    }
    const X = new Tensor(x, [n, 1]), Y = new Tensor(y, [n, 1]);
    const train = async (extra: object) => {
      const m = sequential([layers.input({ shape: [1] }), layers.dense({ units: 1, activation: "sigmoid" })], { seed: 6, threads: 1 });
      m.compile({ optimizer: { type: "adam", learningRate: 0.05 }, loss: "binary_crossentropy", metrics: ["acc"] });
      await m.fit(X, Y, { epochs: 60, batchSize: 50, verbose: 0, ...extra });
      const p = m.predict(X).data;
      let tp = 0;
      for (let i = 0; i < n; i++) if (y[i] === 1 && p[i]! > 0.5) tp++;
      return { m, recall: tp / (n / 10) };
    };
    const plain = await train({});
    const weighted = await train({ classWeight: { 0: 1, 1: 9 } });
    const same = await train({ sampleWeight: Array.from(y, (v) => (v === 1 ? 9 : 1)) });
    // unweighted: 9 of 40 rare samples found; weighted 9 : 1, 25 of 40
    expect(plain.recall).toBeLessThan(0.3);
    expect(weighted.recall).toBeGreaterThan(0.55);
    expect(firstBitDifference(weighted.m.parameters, same.m.parameters)).toBe(-1);
    // classes read from one-hot and sparse targets the same way: the argmax / the id
    const both = await train({ classWeight: { 1: 9 }, sampleWeight: new Array(n).fill(1) });
    expect(firstBitDifference(both.m.parameters, weighted.m.parameters)).toBe(-1);
  });

  it("validation weights: validationData's third element and validationSplit's share of sampleWeight", async () => {
    const { x, y } = sineWindows(40, 6, 15);
    const w = Array.from({ length: 40 }, (_, i) => (i % 3) * 0.5);
    const m = regressor();
    m.compile({ optimizer: "adam", loss: "mse" });
    const xv = x.slice0(30, 40), yv = y.slice0(30, 40), wv = w.slice(30);
    const h = await m.fit(x.slice0(0, 30), y.slice0(0, 30), { epochs: 1, verbose: 0, sampleWeight: w.slice(0, 30), validationData: [xv, yv, wv] });
    expect(h.history.val_loss![0]).toBeCloseTo(m.evaluate(xv, yv, { sampleWeight: wv }).loss!, 6);
    expect(h.history.val_loss![0]).not.toBeCloseTo(m.evaluate(xv, yv).loss!, 4);
    const n = regressor();
    n.compile({ optimizer: "adam", loss: "mse" });
    const hs = await n.fit(x, y, { epochs: 1, verbose: 0, sampleWeight: w, validationSplit: 0.25 });
    expect(hs.history.val_loss![0]).toBeCloseTo(n.evaluate(xv, yv, { sampleWeight: wv }).loss!, 6);
    // the same training as with explicit validation data
    expect(firstBitDifference(n.parameters, m.parameters)).toBe(-1);
  });

  it("with threads: the weights travel with each shard", async () => {
    const { x, y } = sineWindows(64, 6, 16);
    const w = Array.from({ length: 64 }, (_, i) => (i % 4 === 0 ? 0 : 1 + (i % 3)));
    const run = async (threads: number) => {
      const m = regressor({ threads });
      m.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" });
      const h = await m.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0, sampleWeight: w });
      return { m, loss: h.history.loss! };
    };
    const one = await run(1), two = await run(2);
    two.loss.forEach((l, k) => expect(Math.abs(l - one.loss[k]!) / one.loss[k]!).toBeLessThan(1e-4));
    expect(maxAbsDiff(two.m.parameters, one.m.parameters)).toBeLessThan(1e-4);
    // and differ from an unweighted run
    const u = regressor({ threads: 2 });
    u.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" });
    await u.fit(x, y, { epochs: 3, batchSize: 32, verbose: 0 });
    expect(maxAbsDiff(u.parameters, two.m.parameters)).toBeGreaterThan(1e-3);
    two.m.dispose();
    u.dispose();
  });

  it("bad weights are refused, naming the problem", async () => {
    const { x, y } = sineWindows(8, 6, 17);
    const m = regressor();
    m.compile({ optimizer: "sgd", loss: "mse" });
    const fit = (o: object) => () => m.fit(x, y, any({ verbose: 0, ...o }));
    const e1 = await refusal(fit({ sampleWeight: [1, 2] }));
    expect(e1).toBeInstanceOf(ShapeError);
    expect(e1.message).toBe("fit: sampleWeight has shape [2]; it needs one weight per sample: [8]");
    expect((await refusal(fit({ sampleWeight: [1, 1, 1, -1, 1, 1, 1, 1] }))).message).toBe("fit: sampleWeight[3] must be a finite non-negative number, got -1");
    expect((await refusal(fit({ sampleWeight: "heavy" }))).message).toBe('fit: sampleWeight must be a [N] tensor or array of weights, got "heavy"');
    expect((await refusal(fit({ classWeight: { 0: 1 } }))).message).toMatch(/^fit: classWeight applies to class targets .* the loss is "mse" — use sampleWeight/);
    expect((await refusal(fit({ classWeight: { 0: -2 } }))).message).toBe("fit: classWeight.0 must be a non-negative number, got -2");
    expect((await refusal(fit({ validationData: [x, y, [1]] }))).message).toBe("fit: validationData[2] (sample weights) has shape [1]; it needs one weight per sample: [8]");
    expect((await refusal(() => m.evaluate(x, y, any({ sampleWeight: 3 })))).message).toBe("evaluate: sampleWeight must be a [N] tensor or array of weights, got 3");
    const c = sequential([layers.input({ shape: [2] }), layers.dense({ units: 2, activation: "softmax" })]);
    c.compile({ optimizer: "sgd", loss: "sparse_categorical_crossentropy" });
    expect((await refusal(() => c.fit(uniform([2, 2], 1), new Tensor(new Float32Array([0, 1]), [2]), any({ verbose: 0, classWeight: { a: 1 } })))).message)
      .toBe('fit: classWeight keys must be class ids (integers >= 0), got "a"');
    expect(m.epochsTrained).toBe(0);
  });
});
