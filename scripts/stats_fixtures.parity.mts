// Full parity report of src/forecast/stats against the fixtures of scripts/stats_fixtures.R (R's
// forecast package) and scripts/stats_fixtures.py (Python statsmodels); test/forecast/stats.test.ts
// checks a fast subset. Per ETS fit: −2 log L at the reference's parameters minus the reference's,
// our optimum minus the reference's, and the relative difference of the forecasts; then Theta,
// Comb and automatic ETS. Run from the repository root: npx tsx scripts/stats_fixtures.parity.mts
import { readFileSync } from "node:fs";
import { fitEts, etsLikelihood, etsAuto, thetaFit, comb, adjustedEts, type EtsModel } from "../src/forecast/stats/index.ts";

const dir = "test/fixtures/stats/";
const ld = (n: string) => JSON.parse(readFileSync(dir + n, "utf8"));
const nn = <T,>(v: T | null): T | undefined => (v === null ? undefined : v);
const rel = (a: number[], b: number[]) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0) / b.reduce((s, v) => s + Math.abs(v), 0);
const pct = (x: number) => `${(100 * x).toFixed(3)}%`;

let maxAtR = 0, worse = 0, same = 0, sameMax = 0;
const rels: number[] = [];
for (const f of ld("ets.json")) {
  const model = f.model as EtsModel;
  const atR = etsLikelihood(f.y, model, f.period, { alpha: f.alpha, beta: nn(f.beta), gamma: nn(f.gamma), phi: nn(f.phi), l0: f.l0, b0: nn(f.b0), s0: nn(f.s0) });
  const fit = fitEts(f.y, { model, period: f.period });
  const d = fit.lik - f.lik;
  const r = rel(fit.forecast(f.h), f.forecast);
  maxAtR = Math.max(maxAtR, Math.abs(atR - f.lik));
  if (d > 1e-6 * Math.abs(f.lik)) worse++;
  if (Math.abs(d) < 0.1) { same++; sameMax = Math.max(sameMax, r); }
  rels.push(r);
  console.log(`${f.series.padEnd(15)} ${model.padEnd(5)} lik at R's params − R's ${(atR - f.lik).toExponential(1).padStart(8)}  ours − R's ${d.toFixed(3).padStart(9)}  forecasts differ ${pct(r)}`);
}
rels.sort((a, b) => a - b);
console.log(`\nETS: ${rels.length} fits; max |lik at R's params − R's| ${maxAtR.toExponential(2)}; ours worse than R's on ${worse}; same optimum on ${same} (forecasts within ${pct(sameMax)}); forecasts differ median ${pct(rels[rels.length >> 1]!)}, 90th percentile ${pct(rels[Math.floor(0.9 * rels.length)]!)}, max ${pct(rels[rels.length - 1]!)}\n`);
let smWorse = 0, smMax = -Infinity;
for (const f of ld("ets_statsmodels.json")) {
  const model = f.model as EtsModel;
  const theirs = etsLikelihood(f.y, model, f.period, { alpha: f.alpha, beta: nn(f.beta), gamma: nn(f.gamma), phi: nn(f.phi), l0: f.l0, b0: nn(f.b0), s0: nn(f.s0) });
  const fit = fitEts(f.y, { model, period: f.period });
  smMax = Math.max(smMax, fit.lik - theirs);
  if (fit.lik > theirs + 1e-6 * Math.abs(theirs)) smWorse++;
  console.log(`statsmodels ${f.series.padEnd(15)} ${model.padEnd(5)} its llf converted − our lik at its params ${(f.lik - theirs).toExponential(1).padStart(8)}  ours − its ${(fit.lik - theirs).toFixed(3).padStart(9)}  forecasts differ ${pct(rel(fit.forecast(f.h), f.forecast))}`);
}
console.log(`statsmodels: ours worse on ${smWorse} fits, by at most ${smMax.toFixed(3)}\n`);
for (const f of ld("theta.json")) console.log(`theta ${f.series.padEnd(15)} seasonal ${thetaFit(f.y, f.period, f.h).seasonal}  differs ${pct(rel(thetaFit(f.y, f.period, f.h).forecast, f.forecast))}`);
for (const f of ld("comb.json")) {
  console.log(`comb  ${f.series.padEnd(15)} ${pct(rel(comb(f.y, f.period, f.h), f.forecast))}  ses ${pct(rel(adjustedEts("ANN", f.y, f.period, f.h), f.ses))}  holt ${pct(rel(adjustedEts("AAN", f.y, f.period, f.h), f.holt))}  damped ${pct(rel(adjustedEts("AAdN", f.y, f.period, f.h), f.damped))}`);
}
for (const f of ld("ets_auto.json")) {
  const a = etsAuto(f.y, f.period);
  console.log(`auto  ${f.series.padEnd(15)} ours ${a.model} AICc ${a.aicc.toFixed(2)}  R ${f.model} AICc ${f.aicc.toFixed(2)}  forecasts differ ${pct(rel(a.forecast(f.forecast.length), f.forecast))}`);
}
