// A worker thread of the pool in threads.ts: rebuilds the model from its topology, then runs the
// training step or inference on its shard of every batch it is woken for, leaving gradients,
// outputs and loss in shared memory.

import { workerData, receiveMessageOnPort } from "node:worker_threads";
import { Tensor } from "../tensor/tensor.js";
import { Sequential } from "../models/sequential.js";
import { fromConfig } from "../layers/index.js";
import {
  BOOT, IDLE, RUN, DONE, FAILED, EXIT, MODE, EPOCH, ROWS, GLOBAL, Y_PER, WEIGHTED, TRAIN, type WorkerData, type CallSetup,
} from "./threads.js";

const { spec, bufs, shard, errors, setup } = workerData as WorkerData;
const ctrl = new Int32Array(bufs.ctrl);
const lossOut = new Float64Array(bufs.loss);
const params = new Float32Array(bufs.params);
const grads = new Float32Array(bufs.grads);
let xs: Float32Array = new Float32Array(0), ys: Float32Array = new Float32Array(0), outs: Float32Array = new Float32Array(0), ws: Float32Array = new Float32Array(0);

function fail(e: unknown): void {
  errors.postMessage(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  Atomics.store(ctrl, 0, FAILED);
  Atomics.notify(ctrl, 0);
}

let model: Sequential;
try {
  model = new Sequential(spec.layers.map((l) => fromConfig(l.className, l.config)), { seed: spec.seed, backend: spec.backend, threads: 1 });
  model.build(spec.inputShape);
  if (Atomics.compareExchange(ctrl, 0, BOOT, IDLE) === BOOT) Atomics.notify(ctrl, 0);
  serve();
} catch (e) {
  fail(e);
}

function serve(): void {
  const xPer = spec.inputShape.reduce((a, b) => a * b, 1);
  let epoch = -1;
  for (;;) {
    Atomics.wait(ctrl, 0, IDLE);
    const state = Atomics.load(ctrl, 0);
    if (state === EXIT) return;
    if (state !== RUN) continue;
    try {
      for (let m = receiveMessageOnPort(setup); m; m = receiveMessageOnPort(setup)) {
        const s = m.message as CallSetup;
        xs = new Float32Array(s.x); ys = new Float32Array(s.y); outs = new Float32Array(s.out); ws = new Float32Array(s.w);
        if (s.loss) model.compile({ optimizer: "sgd", loss: s.loss });
      }
      const rows = ctrl[ROWS]!;
      model.parameters.set(params);
      const x = new Tensor(xs.slice(0, rows * xPer), [rows, ...spec.inputShape]);
      if (ctrl[MODE] === TRAIN) {
        if (ctrl[EPOCH] !== epoch) {
          epoch = ctrl[EPOCH]!;
          model.reseed(epoch, shard);
        }
        const yPer = ctrl[Y_PER]!;
        const y = new Tensor(ys.slice(0, rows * yPer), [rows, yPer]);
        model.zeroGrads();
        const r = model.trainStep(x, y, ctrl[GLOBAL]!, ctrl[WEIGHTED] === 1 ? ws.slice(0, rows) : null);
        lossOut[0] = r.loss;
        grads.set(model.gradients);
        outs.set(r.output.data);
      } else {
        outs.set(model.forward(x, false).data);
      }
      Atomics.store(ctrl, 0, DONE);
      Atomics.notify(ctrl, 0);
    } catch (e) {
      fail(e);
    }
  }
}
