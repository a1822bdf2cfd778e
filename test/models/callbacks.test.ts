// Callbacks and history: earlyStopping, modelCheckpoint, reduceLrOnPlateau and csvLogger driven by a
// crafted val_loss sequence; user-callback call counts and logs; history values checked against
// evaluate(); verbose 2 output and the progress renderers fit reports to.

import { describe, it, expect, afterAll, vi } from "vitest";
import { join } from "node:path";
import { readFile, readdir } from "node:fs/promises";
import { sequential, layers, callbacks, loadModel, Sequential, Tensor, consoleProgress, type Callback, type Logs, type ProgressRenderer } from "../../src/index.js";
import { sineWindows, tempDir, removeTempDirs, firstBitDifference } from "./fixtures.js";

afterAll(removeTempDirs);

const { x, y } = sineWindows(32, 6, 17);
const val = sineWindows(10, 6, 18);
const FIT = { batchSize: 8, verbose: 0 } as const;

function model(lr = 0.02): Sequential {
  const m = sequential([layers.input({ shape: [6, 1] }), layers.lstm({ units: 4 }), layers.dense({ units: 1 })], { seed: 2 });
  m.compile({ optimizer: { type: "adam", learningRate: lr }, loss: "mse", metrics: ["mae"] });
  return m;
}

/**
 * Overwrites the monitored value with a scripted sequence (it must come before the callbacks that
 * read it) and snapshots weights and predictions at every epoch end.
 */
function script(key: string, values: number[]): Callback & { params: Float32Array[]; preds: Float32Array[] } {
  return {
    params: [], preds: [],
    onEpochEnd(e: number, logs: Logs) {
      logs[key] = values[e]!;
      this.params.push(this.model!.parameters.slice());
      this.preds.push((this.model!.predict(x) as Tensor).data);
    },
  };
}

describe("earlyStopping", () => {
  it("stops after `patience` epochs without improvement", async () => {
    const es = callbacks.earlyStopping({ monitor: "val_loss", patience: 2 });
    const h = await model().fit(x, y, { ...FIT, epochs: 10, callbacks: [script("val_loss", [1, 0.5, 0.6, 0.55, 0.4, 0.3]), es] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(es.bestEpoch).toBe(1);
    expect(es.best).toBe(0.5);
    expect(es.stoppedEpoch).toBe(3);
    expect(h.stopReason).toBe("stopped by a callback after epoch 4");
  });

  it("minDelta: improvements smaller than minDelta count as none", async () => {
    const seq = [1, 0.95, 0.85, 0.8, 0.7, 0.65, 0.62, 0.6, 0.5, 0.4];
    const withDelta = await model().fit(x, y, { ...FIT, epochs: 10, callbacks: [script("val_loss", seq), callbacks.earlyStopping({ patience: 2, minDelta: 0.1 })] });
    // improvements by >= 0.1 at epochs 2 (0.85) and 4 (0.7); 5 and 6 are within 0.1 → stop at 6
    expect(withDelta.epoch.at(-1)).toBe(6);
    const noDelta = await model().fit(x, y, { ...FIT, epochs: 10, callbacks: [script("val_loss", seq), callbacks.earlyStopping({ patience: 2 })] });
    expect(noDelta.epoch.length).toBe(10);
    expect(noDelta.stopReason).toBeUndefined();
  });

  it("mode: max (explicit or auto for accuracy names) and min read the same sequence differently", async () => {
    const seq = [0.5, 0.7, 0.6, 0.65, 0.9, 0.95];
    const stopAt = async (mode: "auto" | "max" | "min"): Promise<number> => {
      const h = await model().fit(x, y, { ...FIT, epochs: 6, callbacks: [script("val_accuracy", seq), callbacks.earlyStopping({ monitor: "val_accuracy", patience: 2, mode })] });
      return h.epoch.at(-1)!;
    };
    expect(await stopAt("max")).toBe(3); // best 0.7 at 1, then 0.6, 0.65
    expect(await stopAt("auto")).toBe(3);
    expect(await stopAt("min")).toBe(2); // best 0.5 at 0, then 0.7, 0.6
  });

  it("restoreBestWeights puts back the best epoch's weights when it stops early", async () => {
    const m = model();
    const s = script("val_loss", [1, 0.3, 0.6, 0.7, 0.8, 0.9]);
    const h = await m.fit(x, y, { ...FIT, epochs: 8, callbacks: [s, callbacks.earlyStopping({ patience: 3, restoreBestWeights: true })] });
    expect(h.epoch.at(-1)).toBe(4);
    expect(firstBitDifference(m.parameters, s.params[1]!)).toBe(-1);
    expect(firstBitDifference(m.predict(x).data, s.preds[1]!)).toBe(-1);
    expect(firstBitDifference(m.predict(x).data, s.preds[4]!)).not.toBe(-1); // the last epoch's weights differ
  });

  it("restoreBestWeights also restores when all epochs ran", async () => {
    const m = model();
    const s = script("val_loss", [1, 0.2, 0.5, 0.6]);
    const h = await m.fit(x, y, { ...FIT, epochs: 4, callbacks: [s, callbacks.earlyStopping({ patience: 10, restoreBestWeights: true })] });
    expect(h.epoch.length).toBe(4);
    expect(firstBitDifference(m.predict(x).data, s.preds[1]!)).toBe(-1);
  });
});

describe("modelCheckpoint", () => {
  it("saveBestOnly writes only on improvement, filling {epoch} (1-based) and log names into the path", async () => {
    const dir = await tempDir();
    const s = script("val_loss", [1, 0.5, 0.7, 0.3, 0.9]);
    const ck = callbacks.modelCheckpoint({ filepath: join(dir, "ck-{epoch}"), saveBestOnly: true });
    const named = callbacks.modelCheckpoint({ filepath: join(dir, "best-e{epoch}-{val_loss}"), saveBestOnly: true, monitor: "val_loss" });
    await model().fit(x, y, { ...FIT, epochs: 5, callbacks: [s, ck, named] });
    expect(ck.saved).toEqual(["ck-1", "ck-2", "ck-4"].map((d) => join(dir, d)));
    expect((await readdir(dir)).sort()).toEqual(["best-e1-1", "best-e2-0.5", "best-e4-0.3", "ck-1", "ck-2", "ck-4"]);
    // each directory holds the weights of its epoch
    const best = await loadModel(join(dir, "ck-4"));
    expect(firstBitDifference((best.predict(x) as Tensor).data, s.preds[3]!)).toBe(-1);
    expect(best.epochsTrained).toBe(4);
    expect(firstBitDifference((await loadModel(join(dir, "ck-2"))).parameters, s.params[1]!)).toBe(-1);
  });

  it("without saveBestOnly it overwrites one directory every epoch, ending with the last weights", async () => {
    const dir = await tempDir();
    const m = model();
    const ck = callbacks.modelCheckpoint({ filepath: join(dir, "last") });
    await m.fit(x, y, { ...FIT, epochs: 3, callbacks: [ck] });
    expect(ck.saved.length).toBe(3);
    const back = await loadModel(join(dir, "last"));
    expect(firstBitDifference(back.parameters, m.parameters)).toBe(-1);
    expect(back.epochsTrained).toBe(3);
  });
});

describe("reduceLrOnPlateau", () => {
  /** Learning rate after each epoch's callbacks ran, with a flat (never improving) val_loss. */
  async function lrs(args: Parameters<typeof callbacks.reduceLrOnPlateau>[0], epochs: number): Promise<number[]> {
    const m = model(0.01);
    const out: number[] = [];
    const flat = script("val_loss", Array(epochs).fill(1));
    await m.fit(x, y, { ...FIT, epochs, callbacks: [flat, callbacks.reduceLrOnPlateau(args), { onEpochEnd: () => void out.push(m.optimizer!.learningRate) }] });
    return out;
  }

  it("multiplies the rate by factor after patience epochs without improvement, never below minLr", async () => {
    const got = await lrs({ factor: 0.5, patience: 2, minLr: 0.003 }, 8);
    const want = [0.01, 0.01, 0.005, 0.005, 0.003, 0.003, 0.003, 0.003];
    got.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 12));
  });

  it("cooldown: epochs after a reduction do not count towards patience (Keras semantics)", async () => {
    const got = await lrs({ factor: 0.5, patience: 1, cooldown: 2 }, 5);
    const want = [0.01, 0.005, 0.005, 0.0025, 0.0025];
    got.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 12));
    const noCooldown = await lrs({ factor: 0.5, patience: 1 }, 5);
    [0.01, 0.005, 0.0025, 0.00125, 0.000625].forEach((v, k) => expect(noCooldown[k]).toBeCloseTo(v, 12));
  });

  it("an improving val_loss leaves the rate alone", async () => {
    const m = model(0.01);
    await m.fit(x, y, { ...FIT, epochs: 5, callbacks: [script("val_loss", [5, 4, 3, 2, 1]), callbacks.reduceLrOnPlateau({ patience: 1 })] });
    expect(m.optimizer!.learningRate).toBe(0.01);
  });
});

describe("csvLogger", () => {
  it("writes a header and one row per epoch with the history's values; append adds rows without a second header", async () => {
    const file = join(await tempDir(), "log.csv");
    const m = model();
    const h = await m.fit(x, y, { ...FIT, epochs: 3, validationData: [val.x, val.y], callbacks: [callbacks.csvLogger({ filename: file })] });
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(lines[0]).toBe("epoch,loss,mae,val_loss,val_mae");
    expect(lines.length).toBe(4);
    lines.slice(1).forEach((line, e) => {
      const cells = line.split(",").map(Number);
      expect(cells[0]).toBe(e);
      // String(number) round-trips exactly
      expect(cells.slice(1)).toEqual([h.history.loss![e], h.history.mae![e], h.history.val_loss![e], h.history.val_mae![e]]);
    });

    await m.fit(x, y, { ...FIT, epochs: 5, initialEpoch: 3, validationData: [val.x, val.y], callbacks: [callbacks.csvLogger({ filename: file, append: true })] });
    const again = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(again.length).toBe(6);
    expect(again.filter((l) => l.startsWith("epoch")).length).toBe(1);
    expect(again.slice(4).map((l) => l.split(",")[0])).toEqual(["3", "4"]);
  });

  it("honours the separator", async () => {
    const file = join(await tempDir(), "log.tsv");
    await model().fit(x, y, { ...FIT, epochs: 1, callbacks: [callbacks.csvLogger({ filename: file, separator: "\t" })] });
    const lines = (await readFile(file, "utf8")).trimEnd().split("\n");
    expect(lines[0]).toBe("epoch\tloss\tmae");
    expect(lines[1]!.split("\t").length).toBe(3);
  });
});

describe("user callbacks", () => {
  it("are called the right number of times, in order, with loss and val_loss in the epoch logs", async () => {
    const events: string[] = [];
    const epochLogs: Logs[] = [];
    const batchLogs: Logs[] = [];
    let sawAsync = 0;
    const cb: Callback = {
      onTrainBegin: () => void events.push("trainBegin"),
      onEpochBegin: (e) => void events.push(`epochBegin ${e}`),
      onBatchBegin: (b) => void events.push(`batchBegin ${b}`),
      onBatchEnd: (b, logs) => { events.push(`batchEnd ${b}`); batchLogs.push({ ...logs }); },
      // async: fit must await it before the next epoch starts
      onEpochEnd: async (e, logs) => {
        await new Promise((r) => setTimeout(r, 1));
        sawAsync = e + 1;
        events.push(`epochEnd ${e}`);
        epochLogs.push({ ...logs });
      },
      onTrainEnd: () => void events.push(`trainEnd after ${sawAsync}`),
    };
    const xs = x.slice0(0, 30), ys = y.slice0(0, 30); // 4 batches: 8, 8, 8, 6
    await model().fit(xs, ys, { ...FIT, epochs: 3, validationData: [val.x, val.y], callbacks: [cb] });
    const batches = ["batchBegin 0", "batchEnd 0", "batchBegin 1", "batchEnd 1", "batchBegin 2", "batchEnd 2", "batchBegin 3", "batchEnd 3"];
    expect(events).toEqual([
      "trainBegin",
      ...[0, 1, 2].flatMap((e) => [`epochBegin ${e}`, ...batches, `epochEnd ${e}`]),
      "trainEnd after 3",
    ]);
    for (const l of epochLogs) {
      expect(Object.keys(l).sort()).toEqual(["loss", "mae", "val_loss", "val_mae"]);
      expect(Object.values(l).every(Number.isFinite)).toBe(true);
    }
    expect(batchLogs.every((l) => Number.isFinite(l.loss) && Number.isFinite(l.mae) && l.val_loss === undefined)).toBe(true);
    // batch logs carry the running mean, so the last batch's equals the epoch's
    for (let e = 0; e < 3; e++) expect(batchLogs[4 * e + 3]!.loss).toBe(epochLogs[e]!.loss);
  });
});

describe("history", () => {
  it("holds loss, metrics and val_ metrics per epoch, equal to evaluate() when the weights do not move", async () => {
    // learning rate 0: every batch sees the same weights, so the epoch's training loss is the data set's loss
    const m = sequential([layers.input({ shape: [6, 1] }), layers.gru({ units: 3 }), layers.dense({ units: 1 })], { seed: 4 });
    m.compile({ optimizer: { type: "sgd", learningRate: 0 }, loss: "mse", metrics: ["mae", "mse", "rmse"] });
    const xs = x.slice0(0, 30), ys = y.slice0(0, 30); // uneven last batch: the epoch mean must weight by batch size
    const h = await m.fit(xs, ys, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, validationData: [val.x, val.y] });
    expect(h.epoch).toEqual([0, 1]);
    expect(Object.keys(h.history).sort()).toEqual(["loss", "mae", "mse", "rmse", "val_loss", "val_mae", "val_mse", "val_rmse"]);
    const ev = m.evaluate(xs, ys);
    const evVal = m.evaluate(val.x, val.y, { batchSize: 8 });
    for (let e = 0; e < 2; e++) {
      for (const k of ["loss", "mae", "mse", "rmse"]) {
        expect(Math.abs(h.history[k]![e]! - ev[k]!)).toBeLessThan(1e-9 * ev[k]!);
        expect(h.history[`val_${k}`]![e]).toBe(evVal[k]); // validation is evaluate() itself
      }
      expect(h.history.rmse![e]).toBeCloseTo(Math.sqrt(h.history.mse![e]!), 12);
    }
    // the unweighted mean of the four batch losses is measurably different, so the check above has teeth
    const per = [0, 8, 16, 24].map((lo) => m.evaluate(xs.slice0(lo, Math.min(30, lo + 8)), ys.slice0(lo, Math.min(30, lo + 8))).loss);
    expect(Math.abs(per.reduce((a, b) => a + b, 0) / 4 - ev.loss!)).toBeGreaterThan(1e-6 * ev.loss!);
  });

  it("evaluate: rmse is the root of the mse over the whole set, not a mean of per-batch roots", async () => {
    const m = model();
    m.compile({ optimizer: "adam", loss: "mse", metrics: ["mse", "rmse", "mae"] });
    const ev = m.evaluate(x, y, { batchSize: 5 });
    const pred = m.predict(x).data;
    let se = 0, ae = 0;
    for (let i = 0; i < pred.length; i++) { se += (pred[i]! - y.data[i]!) ** 2; ae += Math.abs(pred[i]! - y.data[i]!); }
    const mse = se / pred.length;
    expect(Math.abs(ev.mse! - mse)).toBeLessThan(1e-9 * mse);
    expect(Math.abs(ev.loss! - mse)).toBeLessThan(1e-9 * mse);
    expect(Math.abs(ev.rmse! - Math.sqrt(mse))).toBeLessThan(1e-9 * Math.sqrt(mse));
    expect(Math.abs(ev.mae! - ae / pred.length)).toBeLessThan(1e-9 * ev.mae!);
    let rootSum = 0, batches = 0;
    for (let lo = 0; lo < 32; lo += 5) {
      const b = m.evaluate(x.slice0(lo, Math.min(32, lo + 5)), y.slice0(lo, Math.min(32, lo + 5)));
      rootSum += b.rmse!;
      batches++;
    }
    expect(Math.abs(rootSum / batches - ev.rmse!)).toBeGreaterThan(1e-4);
  });

  it("validationSplit holds out the last samples, before shuffling", async () => {
    const m = model();
    const h = await m.fit(x, y, { ...FIT, epochs: 1, validationSplit: 0.25 });
    const tail = m.evaluate(x.slice0(24, 32), y.slice0(24, 32), { batchSize: 8 });
    expect(h.history.val_loss![0]).toBe(tail.loss);
  });
});

describe("verbose", () => {
  async function printed(verbose: 0 | 2): Promise<{ out: string; hist: Record<string, number[]> }> {
    const chunks: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
      chunks.push(String(s));
      return true;
    });
    try {
      const h = await model().fit(x, y, { batchSize: 8, epochs: 3, verbose, validationData: [val.x, val.y] });
      return { out: chunks.join(""), hist: h.history };
    } finally {
      spy.mockRestore();
    }
  }

  it("2 prints one line per epoch with the epoch, time, loss and metrics", async () => {
    const { out, hist } = await printed(2);
    const lines = out.split("\n").filter((l) => l.length > 0);
    expect(lines.length).toBe(3);
    lines.forEach((line, e) => {
      const f = (v: number): string => v.toFixed(4);
      expect(line).toMatch(/^Epoch \d\/3 - \d+\.\ds - /);
      expect(line.startsWith(`Epoch ${e + 1}/3 - `)).toBe(true);
      expect(line.replace(/^Epoch \d\/3 - \d+\.\ds - /, "")).toBe(
        `loss: ${f(hist.loss![e]!)} - mae: ${f(hist.mae![e]!)} - val_loss: ${f(hist.val_loss![e]!)} - val_mae: ${f(hist.val_mae![e]!)}`,
      );
    });
  });

  it("0 prints nothing", async () => {
    expect((await printed(0)).out).toBe("");
  });
});

describe("progress renderers", () => {
  function recorder(interactive: boolean): ProgressRenderer & { events: string[] } {
    const events: string[] = [];
    return {
      interactive,
      events,
      epochBegin: (e) => void events.push(`begin ${e.epoch}/${e.epochs} v${e.verbose} steps ${e.steps}`),
      batchEnd: (b) => void events.push(`batch ${b.epoch}:${b.batch} ${b.logs.loss!.toFixed(6)}`),
      epochEnd: (e) => void events.push(`end ${e.epoch} ${e.logs.loss!.toFixed(6)} ${e.seconds >= 0}`),
    };
  }

  it("fit reports every epoch and batch to the renderer it is given, with the history's values", async () => {
    const r = recorder(false);
    const h = await model().fit(x, y, { batchSize: 16, epochs: 2, verbose: 1, progress: r });
    const loss = (e: number): string => h.history.loss![e]!.toFixed(6);
    expect(r.events).toEqual([
      "begin 0/2 v1 steps 2", expect.stringMatching(/^batch 0:0 /), `batch 0:1 ${loss(0)}`, `end 0 ${loss(0)} true`,
      "begin 1/2 v1 steps 2", expect.stringMatching(/^batch 1:0 /), `batch 1:1 ${loss(1)}`, `end 1 ${loss(1)} true`,
    ]);
  });

  it('verbose "auto" is a bar (1) for an interactive renderer and lines (2) otherwise', async () => {
    for (const interactive of [true, false]) {
      const r = recorder(interactive);
      await model().fit(x, y, { batchSize: 16, epochs: 1, progress: r });
      expect(r.events[0]).toBe(`begin 0/1 v${interactive ? 1 : 2} steps 2`);
    }
  });

  it("consoleProgress prints the verbose-2 line once per epoch", async () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const h = await model().fit(x, y, { batchSize: 8, epochs: 2, verbose: 1, progress: consoleProgress });
      expect(spy.mock.calls.map((c) => String(c[0]).replace(/ - \d+\.\ds - /, " - "))).toEqual(
        h.history.loss!.map((l, e) => `Epoch ${e + 1}/2 - loss: ${l.toFixed(4)} - mae: ${h.history.mae![e]!.toFixed(4)}`),
      );
    } finally {
      spy.mockRestore();
    }
  });
});
