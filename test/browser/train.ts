// One seeded training run, written against the library's public surface and handed the library
// as an argument, so Node (src/index.ts) and a browser page (the bundle) run exactly this code.

import type * as Recurrent from "../../src/browser.js";

export interface RunSpec {
  /** A backend choice, or undefined for the default ("auto"). */
  backend?: "js" | "wasm";
  seed: number;
  epochs: number;
}

export interface RunResult {
  /** What the model's backend resolved to. */
  backend: string;
  /** Mean loss so far after every batch, in order, over all epochs. */
  batchLosses: number[];
  /** The trained weights and the predictions of the first samples. */
  parameters: number[];
  predictions: number[];
  /** A CSV parsed by the data helpers (they must work without a file system). */
  csvRows: number;
}

export async function train(R: typeof Recurrent, spec: RunSpec): Promise<RunResult> {
  // A page must compile WebAssembly asynchronously before a model asks for it.
  await R.backend.ready();
  const T = 7, F = 2, N = 24;
  const rng = new R.Rng(spec.seed);
  const x = new Float32Array(N * T * F);
  const y = new Float32Array(N);
  for (let s = 0; s < N; s++) {
    let sum = 0;
    for (let i = 0; i < T * F; i++) {
      x[s * T * F + i] = rng.uniform(-1, 1);
      sum += x[s * T * F + i]! * (i % 3 === 0 ? 0.5 : -0.25);
    }
    y[s] = Math.tanh(sum);
  }
  const model = R.sequential(
    [
      R.layers.input({ shape: [T, F] }),
      R.layers.lstm({ units: 6, returnSequences: true, recurrentDropout: 0.1 }),
      R.layers.lstm({ units: 5 }),
      R.layers.dense({ units: 1 }),
    ],
    { seed: spec.seed, ...(spec.backend ? { backend: spec.backend } : {}) },
  );
  model.compile({ optimizer: { type: "adam", learningRate: 0.01 }, loss: "mse" });
  const batchLosses: number[] = [];
  await model.fit(new R.Tensor(x, [N, T, F]), new R.Tensor(y, [N, 1]), {
    epochs: spec.epochs,
    batchSize: 5,
    verbose: 0,
    callbacks: [{ onBatchEnd: (_b, logs) => void batchLosses.push(logs.loss!) }],
  });
  const frame = R.data.parseCsv("date,value\n2024-01-01,1\n2024-01-02,2\n", { source: "inline" });
  return {
    backend: R.backend.backendName(spec.backend),
    batchLosses,
    parameters: Array.from(model.parameters),
    predictions: Array.from(model.predict(new R.Tensor(x.slice(0, 3 * T * F), [3, T, F])).data),
    csvRows: frame.rows.length,
  };
}
