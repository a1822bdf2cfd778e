// Nelder–Mead simplex minimisation for the statistical methods: derivative-free, robust to the
// kinks that bounds-by-transformation and penalties put in a likelihood surface. Restarts from
// the best point until a restart no longer improves (a collapsed simplex is the method's usual
// failure, and a restart is its usual cure).

export interface NelderMeadOptions {
  /** Initial step per coordinate (one number for all). Default 0.1 · max(|x|, 1). */
  step?: number | number[];
  /** Most function evaluations over all restarts. Default 2000 · dimension, at least 2000. */
  maxEvals?: number;
  /** Stop when the simplex's function values span less than tol·(|f|+tol). Default 1e-10. */
  tol?: number;
  /** Restarts from the best point after convergence. Default 3. */
  restarts?: number;
}

export interface NelderMeadResult {
  x: number[];
  f: number;
  evals: number;
  converged: boolean;
}

/** Minimises f from x0. Non-finite values of f are treated as +Infinity (outside the feasible set). */
export function nelderMead(f: (x: number[]) => number, x0: readonly number[], opts: NelderMeadOptions = {}): NelderMeadResult {
  const d = x0.length;
  const maxEvals = opts.maxEvals ?? Math.max(2000, 2000 * d);
  const tol = opts.tol ?? 1e-10;
  const restarts = opts.restarts ?? 3;
  let evals = 0;
  const fx = (x: number[]): number => {
    evals++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  if (d === 0) return { x: [], f: fx([]), evals, converged: true };
  const steps = Array.from({ length: d }, (_, i) => {
    const s = opts.step;
    if (typeof s === "number") return s;
    if (Array.isArray(s)) return s[i]!;
    return 0.1 * Math.max(Math.abs(x0[i]!), 1);
  });
  let best = x0.slice();
  let bestF = fx(best);
  let converged = false;
  for (let round = 0; round <= restarts && evals < maxEvals; round++) {
    const pts: number[][] = [best.slice()];
    const vals: number[] = [bestF];
    for (let i = 0; i < d; i++) {
      const p = best.slice();
      p[i]! += steps[i]!;
      pts.push(p);
      vals.push(fx(p));
    }
    converged = false;
    while (evals < maxEvals) {
      const order = vals.map((_, i) => i).sort((a, b) => vals[a]! - vals[b]!);
      const P = order.map((i) => pts[i]!);
      const V = order.map((i) => vals[i]!);
      for (let i = 0; i <= d; i++) { pts[i] = P[i]!; vals[i] = V[i]!; }
      const lo = vals[0]!, hi = vals[d]!;
      if (Number.isFinite(hi) && Math.abs(hi - lo) <= tol * (Math.abs(lo) + tol)) { converged = true; break; }
      const c = new Array<number>(d).fill(0);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[j]! += pts[i]![j]! / d;
      const worst = pts[d]!;
      const along = (t: number): number[] => c.map((cj, j) => cj + t * (worst[j]! - cj));
      const xr = along(-1);
      const fr = fx(xr);
      if (fr < vals[0]!) {
        const xe = along(-2);
        const fe = fx(xe);
        if (fe < fr) { pts[d] = xe; vals[d] = fe; } else { pts[d] = xr; vals[d] = fr; }
      } else if (fr < vals[d - 1]!) {
        pts[d] = xr; vals[d] = fr;
      } else {
        const outside = fr < vals[d]!;
        const xc = along(outside ? -0.5 : 0.5);
        const fc = fx(xc);
        if (fc < (outside ? fr : vals[d]!)) { pts[d] = xc; vals[d] = fc; }
        else {
          for (let i = 1; i <= d; i++) {
            pts[i] = pts[i]!.map((v, j) => pts[0]![j]! + 0.5 * (v - pts[0]![j]!));
            vals[i] = fx(pts[i]!);
          }
        }
      }
    }
    let k = 0;
    for (let i = 1; i <= d; i++) if (vals[i]! < vals[k]!) k = i;
    const improved = vals[k]! < bestF - tol * (Math.abs(bestF) + tol);
    if (vals[k]! <= bestF) { best = pts[k]!.slice(); bestF = vals[k]!; }
    if (round > 0 && !improved) break;
  }
  return { x: best, f: bestF, evals, converged };
}
