// Loads TensorFlow.js with both of its Node-capable backends without a native addon: "cpu"
// (plain JavaScript) and "wasm" (@tensorflow/tfjs-backend-wasm, SIMD, one thread).

import { createRequire } from "node:module";
import { dirname } from "node:path";

const require = createRequire(import.meta.url);

export async function loadTfjs() {
  const tf = await import("@tensorflow/tfjs");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // Under Node the backend would look for its .wasm files next to the calling script; they ship
  // in the package's dist folder.
  wasm.setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  return tf;
}

/** Switches to `backend` and says how it runs (SIMD and threads matter for the wasm numbers). */
export async function useBackend(tf, backend) {
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: setBackend('${backend}') failed`);
  await tf.ready();
  const info = { backend, tfjs: tf.version.tfjs };
  if (backend === "wasm") {
    info.wasm_simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    // tfjs-backend-wasm turns multithreading off under Node (tfjs issue #3830): one thread.
    info.wasm_threads = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) ? "multi" : 1;
  }
  return info;
}
