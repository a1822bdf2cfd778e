// A training thread: rebuilds the model from its topology, then runs the training step on its
// shard of every batch it is woken for, leaving gradients, outputs and loss in shared memory.

import { workerData, parentPort, type MessagePort } from "node:worker_threads";
import { Tensor } from "../tensor/tensor.js";
import { Sequential } from "../models/sequential.js";
import { fromConfig } from "../layers/index.js";
import type { ReplicaSpec } from "../models/parallel.js";
import { IDLE, RUN, DONE, FAILED, EXIT, type WorkerBuffers } from "./threads.js";

const { spec, bufs, shard, errors } = workerData as { spec: ReplicaSpec; bufs: WorkerBuffers; shard: number; errors: MessagePort };
const ctrl = new Int32Array(bufs.ctrl);
const lossOut = new Float64Array(bufs.loss);
const params = new Float32Array(bufs.params);
const grads = new Float32Array(bufs.grads);
const xs = new Float32Array(bufs.x), ys = new Float32Array(bufs.y), outs = new Float32Array(bufs.out);

const model = new Sequential(spec.layers.map((l) => fromConfig(l.className, l.config)), { seed: spec.seed, backend: spec.backend });
model.build(spec.inputShape);
model.compile({ optimizer: "sgd", loss: spec.loss });
const xPer = spec.inputShape.reduce((a, b) => a * b, 1);
const yPer = spec.targetShape.reduce((a, b) => a * b, 1);
let epoch = -1;
parentPort!.postMessage("ready");

for (;;) {
  Atomics.wait(ctrl, 0, IDLE);
  const state = Atomics.load(ctrl, 0);
  if (state === EXIT) break;
  if (state !== RUN) continue;
  try {
    if (ctrl[1] !== epoch) {
      epoch = ctrl[1]!;
      model.reseed(epoch, shard);
    }
    const rows = ctrl[2]!;
    model.parameters.set(params);
    model.zeroGrads();
    const x = new Tensor(xs.slice(0, rows * xPer), [rows, ...spec.inputShape]);
    const y = new Tensor(ys.slice(0, rows * yPer), [rows, ...spec.targetShape]);
    const r = model.trainStep(x, y, ctrl[3]!);
    lossOut[0] = r.loss;
    grads.set(model.gradients);
    outs.set(r.output.data);
    Atomics.store(ctrl, 0, DONE);
  } catch (e) {
    errors.postMessage(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    Atomics.store(ctrl, 0, FAILED);
  }
  Atomics.notify(ctrl, 0);
}
