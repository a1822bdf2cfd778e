// A pool of Node worker threads that runs independent tasks, one at a time per worker, each task
// handed to the next idle worker: `recurrent tune --workers N` runs its trials through it. The task
// function lives in a module named by URL (src/forecast/tune.ts's runTrialTask), loaded by each
// worker, so this host adapter needs no import of the layers above it. The same file is the
// worker's entry: loaded inside a worker started by taskPool, it serves tasks.

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { setDefaultBackend, backendName } from "../backend/index.js";
import type { BackendName } from "../backend/backend.js";
import { ConfigError, DataError, ShapeError, NonFiniteError, ModelFormatError } from "../tensor/errors.js";

const BOOT_TIMEOUT_MS = 120_000;

/** What a task worker is started with. */
interface TaskWorkerData {
  recurrentTaskWorker: true;
  /** URL of the module whose export `fn` runs each task. */
  module: string;
  fn: string;
  backend: BackendName;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; name: string; message: string } | { ready: true };

/** Options of {@link taskPool}. */
export interface TaskPoolOptions {
  /** URL (file: URL or path-like URL string) of the ES module that exports the task function. */
  module: string;
  /** Name of the exported `async (task) => result` function. */
  fn: string;
  /** Worker threads (default: every core). */
  workers?: number;
  /** Backend every worker computes on (default "js"); pass the main thread's to get its numbers. */
  backend?: BackendName;
}

/** Runs tasks on worker threads; results are returned in task order whatever order they finish in. */
export interface TaskPool<T, R> {
  readonly workers: number;
  run(tasks: T[], onResult?: (r: R, index: number) => void): Promise<R[]>;
}

/** Cores of this machine: the default number of workers. */
export function defaultWorkers(): number {
  return availableParallelism();
}

const ERRORS: Record<string, new (m: string) => Error> = { ConfigError, DataError, ShapeError, NonFiniteError, ModelFormatError };

/**
 * Start a worker through a small boot script; under a TypeScript runner (tests, `tsx`) the entry is
 * this .ts file loaded through tsx, as src/node/threads.ts does for training workers.
 */
function spawn(data: TaskWorkerData): Worker {
  const ts = import.meta.url.endsWith(".ts");
  const entry = import.meta.url;
  const load = ts
    ? `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`
    : `import(${JSON.stringify(entry)})`;
  const boot = `const { parentPort } = require("node:worker_threads");
${load}.catch((e) => parentPort.postMessage({ id: -1, ok: false, name: e && e.name || "Error", message: e && e.stack ? e.stack : String(e) }));`;
  return new Worker(boot, { eval: true, workerData: data });
}

/**
 * A pool of `workers` threads running `module`'s `fn` on each task. Tasks are queued and each goes to
 * the next idle worker; a task that throws rejects `run` with the error (ConfigError, DataError, …
 * keep their class) and the pool stops. Workers end when `run` settles.
 */
export function taskPool<T, R>(opts: TaskPoolOptions): TaskPool<T, R> {
  const workers = opts.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 1) throw new ConfigError(`taskPool: workers must be a positive integer, got ${workers}`);
  return {
    workers,
    run(tasks, onResult) {
      const results: R[] = new Array(tasks.length);
      if (tasks.length === 0) return Promise.resolve(results);
      const data: TaskWorkerData = { recurrentTaskWorker: true, module: opts.module, fn: opts.fn, backend: opts.backend ?? "js" };
      const threads = Array.from({ length: Math.min(workers, tasks.length) }, () => spawn(data));
      return new Promise<R[]>((resolve, reject) => {
        let next = 0, done = 0, settled = false;
        const finish = (e?: Error): void => {
          if (settled) return;
          settled = true;
          clearTimeout(bootTimer);
          for (const w of threads) void w.terminate();
          if (e) reject(e);
          else resolve(results);
        };
        const booted = new Set<Worker>();
        const bootTimer = setTimeout(() => {
          if (booted.size < threads.length) finish(new Error(`tune worker did not start within ${BOOT_TIMEOUT_MS / 1000} s`));
        }, BOOT_TIMEOUT_MS);
        const feed = (w: Worker): void => {
          if (next >= tasks.length) return;
          const id = next++;
          w.postMessage({ id, task: tasks[id] });
        };
        for (const w of threads) {
          w.on("message", (m: Reply) => {
            if ("ready" in m) {
              booted.add(w);
              feed(w);
              return;
            }
            if (!m.ok) {
              const Cls = ERRORS[m.name];
              finish(Cls ? new Cls(m.message) : new Error(m.id < 0 ? `a tune worker failed to load: ${m.message}` : `${m.name}: ${m.message}`));
              return;
            }
            results[m.id] = m.result as R;
            done++;
            try {
              onResult?.(m.result as R, m.id);
            } catch (e) {
              finish(e as Error);
              return;
            }
            if (done === tasks.length) finish();
            else feed(w);
          });
          w.on("error", (e) => finish(e));
          w.on("exit", (code) => {
            if (!settled) finish(new Error(`a tune worker exited (code ${code}) before the trials finished`));
          });
        }
      });
    },
  };
}

/**
 * An executor for `forecasting.tune` that runs its trials on `workers` worker threads (default:
 * every core), each on `backend` (default: the calling thread's): `tune({ ..., executor:
 * tuneWorkers(2) })`. The scores are those of the default in-process executor.
 */
export function tuneWorkers(workers: number = defaultWorkers(), opts: { backend?: BackendName } = {}): {
  run<T, R>(tasks: T[], onResult: (r: R) => void): Promise<R[]>;
} {
  // The trial function's module, beside this one's layer: src/forecast/tune.ts under tsx, dist/forecast/tune.js built.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const module = new URL(`../forecast/tune.${ext}`, import.meta.url).href;
  const backend = opts.backend ?? backendName();
  return {
    run<T, R>(tasks: T[], onResult: (r: R) => void): Promise<R[]> {
      return taskPool<T, R>({ module, fn: "runTrialTask", workers, backend }).run(tasks, (r) => onResult(r));
    },
  };
}

// --- the worker side -----------------------------------------------------------------------------

async function serve(data: TaskWorkerData): Promise<void> {
  const port = parentPort!;
  setDefaultBackend(data.backend);
  const mod = (await import(data.module)) as Record<string, unknown>;
  const fn = mod[data.fn];
  if (typeof fn !== "function") throw new Error(`${data.module} exports no function ${data.fn}`);
  port.on("message", (m: { id: number; task: unknown }) => {
    Promise.resolve()
      .then(() => (fn as (t: unknown) => unknown)(m.task))
      .then(
        (result) => port.postMessage({ id: m.id, ok: true, result }),
        (e: unknown) => port.postMessage({ id: m.id, ok: false, name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) }),
      );
  });
  port.postMessage({ ready: true });
}

if (!isMainThread && (workerData as Partial<TaskWorkerData> | null)?.recurrentTaskWorker === true) {
  serve(workerData as TaskWorkerData).catch((e: unknown) => {
    parentPort!.postMessage({ id: -1, ok: false, name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });
}
