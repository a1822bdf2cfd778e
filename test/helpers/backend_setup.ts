// Runs a test project on the backend named by RECURRENT_BACKEND ("js", "wasm"; default "auto"),
// so the numeric suites check every backend with the same tests.
import { setDefaultBackend, checkBackendChoice } from "../../src/backend/index.js";

setDefaultBackend(checkBackendChoice(process.env.RECURRENT_BACKEND ?? "auto", "RECURRENT_BACKEND"));
