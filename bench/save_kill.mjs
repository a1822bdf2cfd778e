// Kill -9 during saves: does a model directory survive a process killed at any moment of a save?
// Each trial starts a child that saves a model (weights + Adam moments, about 4 MB) into a fresh
// directory over and over, changing the weights each time; once its first save is complete the
// parent kills it with SIGKILL at a random moment. Then the parent counts:
//   - broken loads: loadModel on the directory fails (a save must never leave it unloadable);
//   - debris before the next save: temporary files and weights files no model.json points to;
//   - litter: what is still there after the parent saves into the same directory once more (the
//     next write must sweep what the killed one left).
//
//   node bench/save_kill.mjs [--trials 60] [--units 256] [--seed 1]
//
// Runs the TypeScript sources through tsx (no build needed). Prints a summary and writes
// bench/results/save_kill.json. Exits 1 on any broken load or litter.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

register();
const here = dirname(fileURLToPath(import.meta.url));
const lib = await import(join(here, "..", "src", "index.ts"));
const { sequential, layers, loadModel, Tensor } = lib;

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};

function makeModel(units) {
  const m = sequential([layers.input({ shape: [8, 4] }), layers.lstm({ units }), layers.dense({ units: 1 })], { seed: 3 });
  m.compile({ optimizer: "adam", loss: "mse" });
  return m;
}

async function trainOnce(m) {
  const x = new Tensor(Float32Array.from({ length: 4 * 8 * 4 }, (_, i) => Math.sin(i)), [4, 8, 4]);
  const y = new Tensor(Float32Array.from({ length: 4 }, (_, i) => Math.cos(i)), [4, 1]);
  await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }); // creates the Adam moments
}

// ---- child: save in a loop until killed ---------------------------------------------------------
if (args[0] === "--child") {
  const dir = args[1];
  const m = makeModel(opt("units", 256));
  await trainOnce(m);
  await m.save(dir);
  process.stdout.write("ready\n");
  for (let k = 1; ; k++) {
    m.parameters[k % m.parameters.length] += 1e-3; // new content: a new weights file every save
    await m.save(dir);
  }
}

// ---- parent --------------------------------------------------------------------------------------
const TEMP = /\.tmp-\d+-\d+$/;
const WEIGHTS = /^weights(-[0-9a-f]{8})?\.bin$/;

/** Temporaries and weights files that model.json does not point to. */
function debris(dir) {
  const names = readdirSync(dir);
  let current = null;
  try {
    current = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")).weightsFile;
  } catch {
    // no readable model.json: every weights file is debris
  }
  return names.filter((n) => TEMP.test(n) || (WEIGHTS.test(n) && n !== current));
}

/** A seeded uniform in [0, 1) (mulberry32), so a run's kill moments can be repeated. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function runChild(dir, units) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", dir, "--units", String(units)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready\n")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`child exited (${code}) before its first save`)));
  });
}

const trials = opt("trials", 60);
const units = opt("units", 256);
const random = rng(opt("seed", 1));
const root = mkdtempSync(join(tmpdir(), "save-kill-"));

// How long one save takes here, to spread the kills over several saves.
const probe = makeModel(units);
await trainOnce(probe);
const t0 = performance.now();
for (let i = 0; i < 5; i++) await probe.save(join(root, "probe"));
const saveMs = (performance.now() - t0) / 5;

const results = [];
for (let t = 0; t < trials; t++) {
  const dir = join(root, `t${t}`);
  mkdirSync(dir);
  const child = await runChild(dir, units);
  const wait = random() * 4 * saveMs;
  await new Promise((r) => setTimeout(r, wait));
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;

  const before = debris(dir);
  let broken = null;
  let model = null;
  try {
    model = await loadModel(dir);
  } catch (e) {
    broken = `${e.name}: ${e.message}`;
  }
  // the next save into the same directory
  const next = model ?? makeModel(units);
  if (!model) await trainOnce(next);
  await next.save(dir);
  const after = debris(dir);
  let loadsAfter = true;
  try {
    await loadModel(dir);
  } catch {
    loadsAfter = false;
  }
  results.push({ trial: t, killAfterMs: Math.round(wait), debrisBefore: before, broken, litter: after, loadsAfter });
  process.stderr.write(`trial ${t + 1}/${trials}: kill after ${wait.toFixed(0)} ms, debris ${before.length}, ${broken ? "BROKEN" : "loads"}, litter after next save ${after.length}\n`);
}

const summary = {
  trials,
  saveMs: Math.round(saveMs),
  brokenLoads: results.filter((r) => r.broken).length,
  trialsWithDebrisBeforeNextSave: results.filter((r) => r.debrisBefore.length > 0).length,
  debrisFilesBeforeNextSave: results.reduce((n, r) => n + r.debrisBefore.length, 0),
  trialsWithLitterAfterNextSave: results.filter((r) => r.litter.length > 0).length,
  litterFilesAfterNextSave: results.reduce((n, r) => n + r.litter.length, 0),
  brokenAfterNextSave: results.filter((r) => !r.loadsAfter).length,
};
console.log(JSON.stringify(summary, null, 2));
mkdirSync(join(here, "results"), { recursive: true });
writeFileSync(join(here, "results", "save_kill.json"), JSON.stringify({ summary, results }, null, 2) + "\n");
rmSync(root, { recursive: true, force: true });
process.exit(summary.brokenLoads + summary.litterFilesAfterNextSave + summary.brokenAfterNextSave > 0 ? 1 : 0);
