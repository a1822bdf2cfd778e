// Data-parallel training on Node's worker threads. Each worker holds a replica of the model built
// from its topology; per step the main thread publishes the weights and each worker's shard of the
// batch in SharedArrayBuffers, wakes the workers with Atomics, runs shard 0 itself, then waits and
// adds the workers' gradients in shard order. Importing this file registers it with fit.

import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { once } from "node:events";
import { availableParallelism } from "node:os";
import { Tensor } from "../tensor/tensor.js";
import { registerParallelHost, shardRange, type ParallelTrainer, type ReplicaSpec, type StepResult } from "../models/parallel.js";

// ctrl[0] states
export const IDLE = 0, RUN = 1, DONE = 2, FAILED = 3, EXIT = 4;

/** Shared memory of one worker (its shard's inputs, targets, outputs and gradients). */
export interface WorkerBuffers {
  ctrl: SharedArrayBuffer; // Int32 [state, epoch, rows, globalBatch, shard]
  loss: SharedArrayBuffer; // Float64 [1]
  params: SharedArrayBuffer; // Float32 [P], one for all workers
  grads: SharedArrayBuffer; // Float32 [P]
  x: SharedArrayBuffer; // Float32 [maxRows · xPer]
  y: SharedArrayBuffer; // Float32 [maxRows · yPer]
  out: SharedArrayBuffer; // Float32 [maxRows · outPer]
}

interface Slot {
  worker: Worker;
  errors: MessagePort;
  ctrl: Int32Array;
  loss: Float64Array;
  grads: Float32Array;
  x: Float32Array;
  y: Float32Array;
  out: Float32Array;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The worker's entry: the compiled file, or under a TypeScript runner (tests) the .ts file through tsx. */
function spawnWorker(workerData: unknown, transferList: MessagePort[]): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(new URL("./train_worker.js", import.meta.url), { workerData, transferList });
  const entry = new URL("./train_worker.ts", import.meta.url).href;
  const boot = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData, transferList });
}

class ThreadTrainer implements ParallelTrainer {
  private readonly slots: Slot[] = [];
  private readonly params: Float32Array;

  constructor(
    private readonly spec: ReplicaSpec,
    private readonly parameters: Float32Array,
    private readonly gradients: Float32Array,
    readonly threads: number,
    maxBatch: number,
  ) {
    const P = parameters.length;
    const paramsSab = new SharedArrayBuffer(4 * P);
    this.params = new Float32Array(paramsSab);
    const maxRows = Math.ceil(maxBatch / threads);
    const xPer = size(spec.inputShape), yPer = size(spec.targetShape), outPer = size(spec.outputShape);
    for (let s = 1; s < threads; s++) {
      const bufs: WorkerBuffers = {
        ctrl: new SharedArrayBuffer(4 * 8),
        loss: new SharedArrayBuffer(8),
        params: paramsSab,
        grads: new SharedArrayBuffer(4 * P),
        x: new SharedArrayBuffer(4 * maxRows * xPer),
        y: new SharedArrayBuffer(4 * maxRows * yPer),
        out: new SharedArrayBuffer(4 * maxRows * outPer),
      };
      const { port1, port2 } = new MessageChannel();
      const worker = spawnWorker({ spec, bufs, shard: s, errors: port2 }, [port2]);
      worker.unref();
      this.slots.push({
        worker, errors: port1,
        ctrl: new Int32Array(bufs.ctrl), loss: new Float64Array(bufs.loss), grads: new Float32Array(bufs.grads),
        x: new Float32Array(bufs.x), y: new Float32Array(bufs.y), out: new Float32Array(bufs.out),
      });
    }
  }

  step(x: Tensor, y: Tensor, epoch: number, runLocal: (x: Tensor, y: Tensor) => StepResult): StepResult {
    const B = x.shape[0]!;
    const xPer = x.size / B, yPer = y.size / B;
    this.params.set(this.parameters);
    this.slots.forEach((slot, k) => {
      const [lo, hi] = shardRange(B, this.threads, k + 1);
      slot.x.set(x.data.subarray(lo * xPer, hi * xPer));
      slot.y.set(y.data.subarray(lo * yPer, hi * yPer));
      slot.ctrl[1] = epoch;
      slot.ctrl[2] = hi - lo;
      slot.ctrl[3] = B;
      Atomics.store(slot.ctrl, 0, RUN);
      Atomics.notify(slot.ctrl, 0);
    });
    const [lo0, hi0] = shardRange(B, this.threads, 0);
    const local = runLocal(x.slice0(lo0, hi0), y.slice0(lo0, hi0));
    const outPer = local.output.size / (hi0 - lo0);
    const out = new Float32Array(B * outPer);
    out.set(local.output.data);
    let loss = local.loss;
    this.slots.forEach((slot, k) => {
      this.wait(slot, k + 1);
      const [lo, hi] = shardRange(B, this.threads, k + 1);
      loss += slot.loss[0]!;
      const g = this.gradients, wg = slot.grads;
      for (let i = 0; i < g.length; i++) g[i] += wg[i]!;
      out.set(slot.out.subarray(0, (hi - lo) * outPer), lo * outPer);
    });
    return { loss, output: new Tensor(out, [B, ...local.output.shape.slice(1)]) };
  }

  private wait(slot: Slot, shard: number): void {
    while (Atomics.load(slot.ctrl, 0) === RUN) Atomics.wait(slot.ctrl, 0, RUN, 1000);
    const state = Atomics.load(slot.ctrl, 0);
    if (state !== DONE) {
      const msg = receiveMessageOnPort(slot.errors)?.message as string | undefined;
      throw new Error(`training thread ${shard} failed: ${msg ?? "no message"}`);
    }
    Atomics.store(slot.ctrl, 0, IDLE);
  }

  /** Wait until every worker has built its replica (or failed to: its error becomes ours). */
  async ready(): Promise<void> {
    try {
      await Promise.all(this.slots.map(async (slot, k) => {
        const [msg] = await Promise.race([
          once(slot.worker, "message") as Promise<[unknown]>,
          once(slot.worker, "error").then(([e]) => { throw e as Error; }),
          once(slot.worker, "exit").then(([code]) => { throw new Error(`exited with code ${String(code)}`); }),
        ]);
        if (msg !== "ready") throw new Error(String(msg));
        void k;
      }));
    } catch (e) {
      this.close();
      throw new Error(`could not start training threads: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  close(): void {
    for (const slot of this.slots) {
      Atomics.store(slot.ctrl, 0, EXIT);
      Atomics.notify(slot.ctrl, 0);
      slot.errors.close();
      void slot.worker.terminate();
    }
    this.slots.length = 0;
  }
}

registerParallelHost({
  cores: () => availableParallelism(),
  start: async (spec, parameters, gradients, threads, maxBatch) => {
    const t = new ThreadTrainer(spec, parameters, gradients, threads, maxBatch);
    await t.ready();
    return t;
  },
});
