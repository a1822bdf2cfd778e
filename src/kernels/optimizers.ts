// Optimizer updates: one loop over the flat parameter buffer, its gradients and the optimizer's
// slots (moments), all of the same layout. Keras's update rules and epsilon placement; the
// Optimizer class (src/optim) keeps the configuration and state and calls these through its backend.

export type UpdateRule = "sgd" | "rmsprop" | "adagrad" | "adam" | "adamw";

/** One optimizer update: w -= step(g); slots hold the rule's running state (same length as w). */
export interface OptimizerUpdateArgs {
  rule: UpdateRule;
  w: Float32Array;
  g: Float32Array;
  /** sgd: [velocity] with momentum, else []; rmsprop: [mean square] or [mean square, momentum]; adagrad: [accumulator]; adam(w): [m, v]. */
  slots: Float32Array[];
  learningRate: number;
  momentum: number;
  nesterov: boolean;
  rho: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Steps taken including this one (Adam's bias correction). */
  iteration: number;
}

export function optimizerUpdate(p: OptimizerUpdateArgs): void {
  const { w, g, slots } = p;
  const n = w.length;
  const lr = p.learningRate, eps = p.epsilon;
  switch (p.rule) {
    case "sgd": {
      if (p.momentum === 0) {
        for (let i = 0; i < n; i++) w[i] -= lr * g[i]!;
        return;
      }
      const v = slots[0]!;
      const mu = p.momentum;
      for (let i = 0; i < n; i++) {
        const vi = mu * v[i]! - lr * g[i]!;
        v[i] = vi;
        w[i] += p.nesterov ? mu * vi - lr * g[i]! : vi;
      }
      return;
    }
    case "rmsprop": {
      const a = slots[0]!;
      const rho = p.rho;
      if (p.momentum > 0) {
        const m = slots[1]!;
        for (let i = 0; i < n; i++) {
          const gi = g[i]!;
          a[i] = rho * a[i]! + (1 - rho) * gi * gi;
          m[i] = p.momentum * m[i]! + (lr * gi) / Math.sqrt(a[i]! + eps);
          w[i] -= m[i]!;
        }
        return;
      }
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        a[i] = rho * a[i]! + (1 - rho) * gi * gi;
        w[i] -= (lr * gi) / Math.sqrt(a[i]! + eps);
      }
      return;
    }
    case "adagrad": {
      const a = slots[0]!;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        a[i] += gi * gi;
        w[i] -= (lr * gi) / Math.sqrt(a[i]! + eps);
      }
      return;
    }
    case "adam":
    case "adamw": {
      const m = slots[0]!, v = slots[1]!;
      const b1 = p.beta1, b2 = p.beta2, t = p.iteration;
      const alpha = (lr * Math.sqrt(1 - Math.pow(b2, t))) / (1 - Math.pow(b1, t));
      const decay = p.rule === "adamw" ? lr * p.weightDecay : 0;
      for (let i = 0; i < n; i++) {
        const gi = g[i]!;
        if (decay) w[i] -= decay * w[i]!;
        m[i] += (gi - m[i]!) * (1 - b1);
        v[i] += (gi * gi - v[i]!) * (1 - b2);
        w[i] -= (alpha * m[i]!) / (Math.sqrt(v[i]!) + eps);
      }
      return;
    }
  }
}

/** Σ g² over a buffer, in float64 (the global norm for clipping is its square root). */
export function sumSquares(g: Float32Array): number {
  let ss = 0;
  for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
  return ss;
}
