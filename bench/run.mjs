// `npm run bench`: recurrent's training speed on the five workloads of docs/benchmarks.md and its
// W_sine inference, beside TensorFlow.js (cpu and wasm), PyTorch + OpenBLAS (1 and 2 threads) and
// onnxruntime-node (inference, when installed), all measured in this one invocation. Each
// measurement runs in its own child process, so peak RSS is per peer and per workload. Every
// implementation is checked against recurrent's numbers before anything is timed.
//
//   node bench/run.mjs [--only W_sine,W_char] [--epochs N] [--quick] [--configs js:1,wasm:2]
//                      [--no-tfjs] [--no-tfjs-cpu] [--no-tfjs-wasm] [--no-torch] [--no-ort]
//                      [--no-train] [--no-infer] [--no-alloc] [--max-wait S] [--budget S | --full-epochs] [--out FILE]
//
// Prints markdown tables and the goals of docs/performance.md (met or missed) on stdout, one
// `RESULT {json}` line per measurement, and writes everything to bench/results/latest.json.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WORKLOADS, TRAIN_FLOP, FWD_FLOP, engineConfigs, configLabel } from "./workloads.mjs";
import { r3, log, parseArgs } from "./common.mjs";
import { torchEnv, PYTHON } from "./torch_env.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const cache = join(here, ".cache");
const { opt } = parseArgs(process.argv.slice(2));
const quick = opt.quick === true;
const epochs = Number(opt.epochs ?? (quick ? 2 : 3));
const only = opt.only ? String(opt.only).split(",").map((s) => s.trim()) : Object.keys(WORKLOADS);
const maxWait = Number(opt["max-wait"] ?? 20);
// seconds per timed recurrent epoch: several configurations are timed, and a batch costs the same
// in a short epoch as in a long one (--full-epochs: the workloads' whole epochs, as the peers)
const budget = opt["full-epochs"] ? 0 : Number(opt.budget ?? (quick ? 1 : 4));
const outFile = opt.out ? String(opt.out) : join(here, "results", "latest.json");
for (const w of only) if (!WORKLOADS[w]) throw new Error(`unknown workload ${w}; choose from ${Object.keys(WORKLOADS).join(", ")}`);
if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error("--epochs must be a positive integer");
const withTfjs = { cpu: !opt["no-tfjs"] && !opt["no-tfjs-cpu"], wasm: !opt["no-tfjs"] && !opt["no-tfjs-wasm"] };
const withInfer = !opt["no-infer"] && only.includes("W_sine");
const version = JSON.parse(readFileSync(join(here, "..", "package.json"), "utf8")).version;

// ---- what can run here ----
const skipped = [];
const engines = await engineConfigs();
let configs = engines.ran;
if (opt.configs) {
  const want = String(opt.configs).split(",");
  configs = configs.filter((c) => want.includes(`${c.backend}:${c.threads}`));
  if (configs.length === 0) throw new Error(`--configs ${opt.configs}: none of these runs here (available: ${engines.ran.map((c) => `${c.backend}:${c.threads}`).join(", ")})`);
}
for (const s of engines.skipped) skipped.push({ peer: `recurrent ${configLabel(s)}`, reason: s.reason });

let torch = null;
if (!opt["no-torch"]) {
  const t = torchEnv(cache);
  if (t.skip) skipped.push({ peer: "torch", reason: t.skip });
  else torch = t;
}
let ortAvailable = false;
if (!opt["no-ort"] && withInfer) {
  try {
    createRequire(import.meta.url).resolve("onnxruntime-node");
    ortAvailable = Boolean(torch);
    if (!torch) skipped.push({ peer: "onnxruntime", reason: "the ONNX model is exported by PyTorch, which is not available" });
  } catch {
    skipped.push({ peer: "onnxruntime", reason: "onnxruntime-node is not installed (optional: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node)" });
  }
}

// ---- the machine ----
function cpuFlags() {
  try {
    const f = readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1].split(/\s+/) ?? [];
    return ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16"].filter((x) => f.includes(x));
  } catch {
    return [];
  }
}
/** Busy jiffies of the whole machine (Linux; USER_HZ = 100), to tell how much other processes ran. */
function busyJiffies() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2] + f[5] + f[6];
  } catch {
    return null;
  }
}
const machine = {
  cpu: cpus()[0]?.model ?? "?", cores: cpus().length, flags: cpuFlags(), mem_gib: Math.round(totalmem() / 2 ** 30),
  node: process.version, load_at_start: loadavg().map((x) => Math.round(x * 100) / 100),
};
log(`recurrent ${version} bench — node ${machine.node}, ${machine.cores} × ${machine.cpu} (${machine.flags.join(" ")})`);
log(`recurrent configurations: ${configs.map(configLabel).join(", ")}`);
for (const s of skipped) log(`skipped ${s.peer}: ${s.reason}`);
if (torch) log(`torch ${torch.torch} with OpenBLAS from ${torch.openblas}, OPENBLAS_CORETYPE=${torch.coretype ?? "(autodetect)"}`);

// ---- running children ----
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (up to maxWait s) until other processes leave `needCores` cores free for a second:
 * on a shared machine a 1-thread run loses its core to time slicing, and 2-thread OpenMP runs
 * collapse (the peer study saw 50×). Returns the seconds waited.
 */
async function waitIdle(needCores) {
  const limit = Math.max(0, cpus().length - needCores) + 0.15;
  const t0 = Date.now();
  let calm = false;
  while (!calm && (Date.now() - t0) / 1000 < maxWait) {
    const a = busyJiffies();
    await sleep(1000);
    const b = busyJiffies();
    calm = a !== null && b !== null && (b - a) / 100 < limit;
  }
  return Math.round((Date.now() - t0) / 1000);
}

const results = [];
let failures = 0;

/** Runs one child; its RESULT lines gain the CPU other processes used meanwhile ("others_cores"). */
async function child(label, cmd, args, { env, needCores = 1 } = {}) {
  const waited = maxWait > 0 ? await waitIdle(needCores) : 0;
  log(`  ${label}`);
  const b0 = busyJiffies(), t0 = Date.now();
  const p = spawn(cmd, args, { env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => { out += d; });
  // tfjs greets every process with an advert for tfjs-node (which cannot be installed offline)
  let partial = "";
  const forward = (lines) => { for (const l of lines) if (!/^=*$|looks like you are running TensorFlow\.js in Node/.test(l.trim())) process.stderr.write(l + "\n"); };
  p.stderr.on("data", (d) => { const ls = (partial + d).split("\n"); partial = ls.pop(); forward(ls); });
  p.stderr.on("end", () => { if (partial) forward([partial]); });
  const code = await new Promise((r) => p.on("close", r));
  const wall = (Date.now() - t0) / 1000, b1 = busyJiffies();
  const rows = out.split("\n").filter((l) => l.startsWith("RESULT ")).map((l) => JSON.parse(l.slice(7)));
  const ownCpu = Math.max(0, ...rows.map((r) => r.process_cpu_s ?? 0));
  const others = b0 === null || b1 === null ? null : r3(Math.max(0, ((b1 - b0) / 100 - ownCpu) / wall));
  if (code !== 0 || rows.length === 0) {
    failures++;
    log(`  FAILED: ${label} (exit ${code})`);
    return [];
  }
  for (const r of rows) {
    Object.assign(r, { others_cores: others, process_wall_s: r3(wall), waited_for_idle_s: waited });
    console.log("RESULT " + JSON.stringify(r));
    results.push(r);
  }
  return rows;
}

const node = process.execPath;
const script = (f) => join(here, f);
const fixture = (w) => join(cache, "fixtures", `${w}.json`);
const t0 = Date.now();

// ---- validation first: nothing is timed unless every implementation computes the same model ----
log("\nvalidating (recurrent learns; every configuration and every peer predicts the same on the same weights)");
const tfBackends = Object.keys(withTfjs).filter((b) => withTfjs[b]);
const v = spawnSync(node, [script("validate.mjs"), "--only", only.join(","), "--configs", configs.map((c) => `${c.backend}:${c.threads}`).join(","),
  ...(tfBackends.length ? ["--tfjs", tfBackends.join(",")] : []), "--fixtures", join(cache, "fixtures")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
if (v.status !== 0) {
  log("validation failed: nothing was timed");
  process.exit(1);
}
const validation = v.stdout.split("\n").filter((l) => l.startsWith("VALID ")).map((l) => JSON.parse(l.slice(6)));

// ---- training ----
const trainSamples = (w, peer) => {
  const W = WORKLOADS[w];
  if (quick) return { recurrent: Math.min(W.samples, Math.max(64, 4 * W.batch)), cpu: Math.max(W.batch, 8), wasm: Math.max(2 * W.batch, 8), torch: Math.min(W.samples, Math.max(128, 4 * W.batch)) }[peer];
  return { recurrent: W.samples, cpu: W.tfjsSamples, wasm: W.wasmSamples, torch: W.samples }[peer];
};
for (const w of opt["no-train"] ? [] : only) {
  log(`\n${w}: timing, ${epochs} epochs after a warm-up`);
  const W = WORKLOADS[w];
  for (const c of configs) {
    const samples = trainSamples(w, "recurrent");
    const warmup = Math.min(samples, Math.max(4 * W.batch, 64));
    await child(`recurrent ${configLabel(c)}: ${budget ? `up to ${samples} samples (about ${budget} s)` : samples} per epoch, warm-up ${warmup}`, node,
      [script("peer_recurrent.mjs"), "train", w, "--backend", c.backend, "--threads", String(c.threads), "--samples", String(samples), "--warmup", String(warmup),
        "--epochs", String(epochs), "--budget", String(budget)],
      { needCores: c.threads });
  }
  for (const b of tfBackends) {
    const samples = trainSamples(w, b);
    await child(`tfjs-${b}: ${samples} samples/epoch`, node, [script("peer_tfjs.mjs"), "train", w, b, "--samples", String(samples), "--epochs", String(epochs)]);
  }
  if (torch) {
    for (const threads of [1, 2]) {
      const samples = trainSamples(w, "torch");
      await child(`torch ${threads}T (OpenBLAS ${torch.coretype ?? ""}): ${samples} samples/epoch`, PYTHON,
        [script("torch_bench.py"), "train", w, String(threads), "--samples", String(samples), "--epochs", String(quick ? epochs : Math.max(epochs, W.torchEpochs ?? 5)), "--fixture", fixture(w)],
        { env: torch.env, needCores: threads });
    }
  }
}

// ---- W_sine inference ----
if (withInfer) {
  log("\nW_sine inference: latency at batch 1, throughput at batch 256");
  const calls = quick ? 50 : 200;
  // threads share training batches only: predict runs on one thread whatever the option says
  for (const c of configs.filter((x) => x.threads === 1)) {
    await child(`recurrent ${configLabel(c)}`, node, [script("peer_recurrent.mjs"), "infer", "W_sine", "--backend", c.backend, "--threads", String(c.threads), "--calls", String(calls), "--bcalls", quick ? "3" : "10"], { needCores: c.threads });
  }
  for (const b of tfBackends) {
    await child(`tfjs-${b}`, node, [script("peer_tfjs.mjs"), "infer", "W_sine", b, "--calls", String(calls), "--bcalls", b === "cpu" || quick ? "2" : "10"]);
  }
  if (torch) {
    for (const threads of [1, 2]) {
      await child(`torch ${threads}T`, PYTHON, [script("torch_bench.py"), "infer", "W_sine", String(threads), "--calls", String(calls), "--fixture", fixture("W_sine")], { env: torch.env, needCores: threads });
    }
  }
  if (ortAvailable) {
    const model = join(cache, "w_sine.onnx");
    const ex = spawnSync(PYTHON, [script("torch_bench.py"), "export_onnx", "W_sine", "1", "--fixture", fixture("W_sine"), "--out", model], { env: torch.env, encoding: "utf8" });
    if (ex.status !== 0 || !existsSync(model)) {
      failures++;
      log(`  FAILED: ONNX export: ${ex.stderr.trim().split("\n").pop()}`);
    } else {
      for (const threads of [1, 2]) {
        await child(`onnxruntime ${threads}T`, node, [script("ort_bench.mjs"), String(threads), "--model", model, "--fixture", fixture("W_sine"), "--calls", String(calls)], { needCores: threads });
      }
    }
  }
}
const wallS = (Date.now() - t0) / 1000;
const othersSeen = results.map((r) => r.others_cores).filter((x) => x != null);

// ---- allocation per timestep (its own child: the heap profiler must not disturb the timings) ----
let alloc = null;
if (!opt["no-alloc"]) {
  log("\nallocation per timestep: sampling heap profiler, T = 50 vs T = 500");
  const r = spawnSync(node, [script("alloc.mjs")], { encoding: "utf8" });
  const line = (r.stdout || "").split("\n").find((l) => l.startsWith("ALLOC "));
  if (r.status !== 0 || !line) { failures++; log(`  alloc check failed: ${r.stderr}`); } else alloc = JSON.parse(line.slice(6));
}

// ---- report ----
const fmt = (x) => (x == null ? "–" : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (a, b) => (a == null || b == null ? "–" : (a / b >= 10 ? (a / b).toFixed(0) : (a / b).toFixed(2)) + "×");
const isOurs = (r) => r.peer.startsWith("recurrent");
const find = (w, mode, peer) => results.find((r) => r.workload === w && r.mode === mode && r.peer === peer);
const PEERS = ["tfjs-cpu", "tfjs-wasm", "torch 1T", "torch 2T"];
const label = (r) => (isOurs(r) ? `**${r.peer}**` : r.peer === "tfjs-wasm" ? `tfjs-wasm (SIMD, 1 thread${r.embedding ? ", one-hot embedding" : ""})` : r.peer.startsWith("torch") ? `${r.peer} ${r.blas}` : r.peer);
const others = (r) => (r.others_cores == null ? "–" : r.others_cores.toFixed(2) + (r.others_cores > 0.3 ? " !" : ""));

const lines = [];
const out = (s = "") => { lines.push(s); console.log(s); };
out(`\n## recurrent ${version}: training, samples/s (median of at least ${epochs} timed epochs after a warm-up)\n`);
out(`node ${machine.node}, ${machine.cores} × ${machine.cpu}; load average ${machine.load_at_start.join(" ")} at the start, ${loadavg().map((x) => x.toFixed(2)).join(" ")} at the end; ` +
  `timing took ${wallS.toFixed(0)} s${othersSeen.length ? `; other processes used ${(othersSeen.reduce((a, b) => a + b, 0) / othersSeen.length).toFixed(2)} cores on average beside the measurements (${Math.max(...othersSeen).toFixed(2)} at most)` : ""}\n`);
out("| workload | implementation | samples/epoch | samples/s | GFLOP/s | peak RSS (MB) | epoch spread | others (cores) | vs tfjs-cpu | vs tfjs-wasm | vs torch 1T | vs torch 2T |");
out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const w of only) {
  for (const r of results.filter((x) => x.workload === w && x.mode === "train")) {
    const gf = (r.samples_per_s * TRAIN_FLOP[w]) / 1e9;
    const rat = PEERS.map((p) => (isOurs(r) ? ratio(r.samples_per_s, find(w, "train", p)?.samples_per_s) : ""));
    out(`| ${w} | ${label(r)} | ${r.samples_per_epoch} | ${fmt(r.samples_per_s)} | ${gf.toFixed(2)} | ${r.peak_rss_mb.toFixed(0)} | ${r.spread_pct.toFixed(1)}% | ${others(r)} | ${rat.join(" | ")} |`);
  }
}
out("\nGFLOP/s counts matrix products only (LSTM step 2·4·H·(I+H) per direction, Dense 2·I·O, training = 3 × forward). " +
  "Ratios: recurrent's samples/s ÷ the peer's. \"others\": cores other processes used during that measurement (! above 0.3: treat the row with care).");

const ORT = ["onnxruntime 1T", "onnxruntime 2T"];
if (results.some((r) => r.mode === "infer_b1")) {
  out("\n## W_sine inference (no dropout)\n");
  out("| implementation | latency batch 1, median (p10–p90) ms | batch 256, samples/s | GFLOP/s | peak RSS (MB) | others (cores) | latency vs " + [...PEERS, ...ORT].join(" / ") + " | throughput vs the same |");
  out("|---|---:|---:|---:|---:|---:|---|---|");
  const peers = [...new Set(results.filter((r) => r.mode === "infer_b1").map((r) => r.peer))];
  for (const p of peers) {
    const a = find("W_sine", "infer_b1", p), b = find("W_sine", "infer_b256", p);
    const lat = isOurs(a) ? [...PEERS, ...ORT].map((q) => ratio(find("W_sine", "infer_b1", q)?.latency_ms_median, a.latency_ms_median)).join(" / ") : "";
    const thr = isOurs(a) && b ? [...PEERS, ...ORT].map((q) => ratio(b.samples_per_s, find("W_sine", "infer_b256", q)?.samples_per_s)).join(" / ") : "";
    const gf = b ? ((b.samples_per_s * FWD_FLOP.W_sine) / 1e9).toFixed(2) : "–";
    out(`| ${label(a)} | ${a.latency_ms_median.toFixed(3)} (${a.latency_ms_p10.toFixed(3)}–${a.latency_ms_p90.toFixed(3)}) | ${fmt(b?.samples_per_s)} | ${gf} | ${Math.max(a.peak_rss_mb, b?.peak_rss_mb ?? 0).toFixed(0)} | ${others(a)} | ${lat} | ${thr} |`);
  }
  out("\nLatency ratios: the peer's latency ÷ recurrent's (above 1×: recurrent is faster). Throughput ratios: recurrent's samples/s ÷ the peer's.");
}

// ---- goals (docs/performance.md) ----
// onnxruntime's batch-1 latency when it is not installed: measured by the peer study (its RESULTS.md,
// onnxruntime-node 1.30.0, 1 thread), on its Intel Xeon "Emerald Rapids", 2 vCPUs.
const ORT_PEER_STUDY_MS = 0.239;
const goals = [];
const best = (w, pred = () => true) => results.filter((r) => r.workload === w && r.mode === "train" && isOurs(r) && pred(r)).sort((a, b) => b.samples_per_s - a.samples_per_s)[0];
for (const w of only) {
  const r = best(w);
  if (!r) continue;
  for (const [p, target] of [["tfjs-cpu", 30], ["tfjs-wasm", 5]]) {
    const q = find(w, "train", p);
    if (q) goals.push({ goal: `${w} training ≥ ${target}× ${p}`, by: r.peer, value: r.samples_per_s / q.samples_per_s, target });
  }
}
for (const w of ["W_sine", "W_char"].filter((x) => only.includes(x))) {
  const r = best(w, (x) => x.threads === 2) ?? best(w);
  const q = find(w, "train", "torch 1T");
  if (r && q) goals.push({ goal: `${w} training ≥ torch + OpenBLAS 1 thread, recurrent on both cores`, by: r.peer + (r.threads === 2 ? "" : " (no 2-thread configuration ran)"), value: r.samples_per_s / q.samples_per_s, target: 1 });
}
const lat = results.filter((r) => r.mode === "infer_b1" && isOurs(r)).sort((a, b) => a.latency_ms_median - b.latency_ms_median)[0];
if (lat) {
  const o = find("W_sine", "infer_b1", "onnxruntime 1T");
  const ortMs = o ? o.latency_ms_median : ORT_PEER_STUDY_MS;
  goals.push({
    goal: "W_sine batch-1 inference within 2× onnxruntime-node", by: lat.peer, value: (2 * ortMs) / lat.latency_ms_median, target: 1,
    note: `recurrent ${lat.latency_ms_median.toFixed(3)} ms vs onnxruntime ${ortMs} ms ${o ? "(measured in this run, 1 thread)" : "(measured by the peer study on its Intel Xeon, 1 thread: onnxruntime-node is not installed here)"}`,
  });
}
if (goals.length) {
  out("\n## Goals\n");
  out("| goal | best recurrent configuration | achieved | target | met? |");
  out("|---|---|---:|---:|---|");
  for (const g of goals) {
    g.met = g.value >= g.target;
    const shown = g.goal.includes("inference") ? `${(2 / g.value).toFixed(2)}× onnxruntime's latency` : `${g.value.toFixed(2)}×`;
    const target = g.goal.includes("inference") ? "≤ 2×" : `${g.target}×`;
    out(`| ${g.goal} | ${g.by} | ${shown} | ${target} | ${g.met ? "met" : `**missed** (${(g.value / g.target).toFixed(2)} of the target)`} |`);
    if (g.note) out(`| | ${g.note} | | | |`);
  }
}

if (alloc) {
  out(`\n## JS-heap allocation per timestep (B=${alloc.B}, I=${alloc.I}, H=${alloc.H}; sampled, ${alloc.steps_per_measurement} steps each)\n`);
  out("| case | bytes/call T=50 | bytes/call T=500 | bytes/step | largest sites (T=500) |");
  out("|---|---:|---:|---:|---|");
  for (const [k, x] of Object.entries(alloc.cases)) out(`| ${k} | ${x.bytes_per_call_T50} | ${x.bytes_per_call_T500} | ${x.bytes_per_step} | ${x.top_sites_T500.join("; ") || "–"} |`);
}
if (skipped.length) {
  out("\nNot run:");
  for (const s of skipped) out(`* ${s.peer}: ${s.reason}`);
}

mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, JSON.stringify({
  recurrent: version, date: new Date().toISOString(), machine, options: { only, epochs, quick, budget, configs: configs.map(configLabel) },
  timing_s: r3(wallS), skipped, validation, results, goals, alloc, report: lines.join("\n"),
}, null, 1));
log(`\nwrote ${outFile}`);
if (failures) { log(`${failures} measurement(s) failed`); process.exitCode = 1; }
// a multi-threaded engine probed above may keep worker threads alive
process.exit();
