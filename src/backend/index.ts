// Choosing a backend: "auto" takes WebAssembly SIMD where the runtime has it and the reference
// TypeScript backend otherwise; "js" and "wasm" force one. The WebAssembly module is compiled once
// per process (thread) and shared by every model that uses it.

import { ConfigError } from "../tensor/errors.js";
import type { Backend, BackendChoice, BackendName } from "./backend.js";
import { referenceBackend } from "./reference.js";
import { createWasmBackend, createWasmBackendAsync } from "./wasm/wasm.js";

export type { Backend, BackendChoice, BackendName } from "./backend.js";
export { referenceBackend } from "./reference.js";

let wasm: Backend | null | undefined; // undefined: not tried yet; null: unsupported here
let defaultChoice: BackendChoice = "auto";
let syncRefused = false;

function wasmBackend(): Backend | null {
  if (wasm !== undefined) return wasm;
  try {
    wasm = createWasmBackend();
  } catch (e) {
    // A browser's main thread refuses to compile a large module synchronously (a RangeError):
    // "auto" falls back to js until `await ready()` compiles it asynchronously.
    if (e instanceof RangeError) {
      syncRefused = true;
      return null;
    }
    throw e;
  }
  return wasm;
}

/** Check a user's backend option. */
export function checkBackendChoice(choice: unknown, where: string): BackendChoice {
  if (choice === "auto" || choice === "js" || choice === "wasm") return choice;
  throw new ConfigError(`${where}: backend must be "auto", "js" or "wasm", got ${JSON.stringify(choice)}`);
}

/**
 * The backend for a choice (default: the process-wide default, "auto" unless changed).
 * Forcing "wasm" where WebAssembly SIMD is missing is an error; "auto" falls back to "js".
 */
export function getBackend(choice: BackendChoice = defaultChoice): Backend {
  if (choice === "js") return referenceBackend;
  const w = wasmBackend();
  if (w) return w;
  if (choice === "wasm") {
    throw new ConfigError(syncRefused
      ? 'backend "wasm": this runtime compiles WebAssembly only asynchronously here; call `await backend.ready()` once before building the model'
      : 'backend "wasm" needs WebAssembly with SIMD, which this runtime lacks; use backend: "js"');
  }
  return referenceBackend;
}

/** Name of the backend that "auto" (or the given choice) resolves to here. */
export function backendName(choice: BackendChoice = defaultChoice): BackendName {
  return getBackend(choice).name;
}

/** Set the backend that models use when they are not given one. */
export function setDefaultBackend(choice: BackendChoice): void {
  defaultChoice = checkBackendChoice(choice, "setDefaultBackend");
}

/**
 * Compile the WebAssembly module asynchronously. Browsers refuse to compile large modules
 * synchronously on the main thread, so a page awaits this once before building a model;
 * Node does not need it. Resolves to the name "auto" now resolves to.
 */
export async function ready(): Promise<BackendName> {
  // retried after a failed synchronous attempt: that is what a browser's main thread refuses
  if (!wasm) wasm = await createWasmBackendAsync();
  return backendName();
}
