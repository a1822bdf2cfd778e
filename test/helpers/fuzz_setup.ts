// Property-based tests draw from one fixed seed, so `npm test` is reproducible; set FUZZ_SEED to
// another number (or "random") to explore further. A failure prints the seed and path to replay.
import fc from "fast-check";

const env = process.env.FUZZ_SEED;
if (env !== "random") fc.configureGlobal({ seed: env === undefined ? 20261202 : Number(env) });
