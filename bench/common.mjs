// Helpers shared by the bench driver (run.mjs) and the per-peer child processes: statistics,
// a small argument parser, and the RESULT line every child prints for each measurement.

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
export const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]; };
/** (max − min) / median, in percent. */
export const spread = (xs) => (100 * (Math.max(...xs) - Math.min(...xs))) / median(xs);
export const r3 = (x) => Math.round(x * 1000) / 1000;
export const now = () => performance.now();
/** CPU seconds (user + system, all threads of this process) since `c0`. */
export const cpuSeconds = (c0) => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1e6; };
export const log = (...a) => console.error(...a);

/** `--key value` and bare `--flag` (value true); everything else is positional. */
export function parseArgs(argv) {
  const pos = [], opt = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) { pos.push(a); continue; }
    const k = a.slice(2);
    if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) opt[k] = argv[++i];
    else opt[k] = true;
  }
  return { pos, opt };
}

/**
 * One measurement on stdout. Children of run.mjs add their own peak RSS and CPU time, so the
 * driver never mixes one peer's memory with another's (each peer runs in its own process).
 */
export function emit(o) {
  const ru = process.resourceUsage();
  console.log("RESULT " + JSON.stringify({ ...o, peak_rss_mb: r3(ru.maxRSS / 1024), process_cpu_s: r3((ru.userCPUTime + ru.systemCPUTime) / 1e6) }));
}

/** Stop the run when a number about to be timed is wrong: a fast wrong answer is worth nothing. */
export function fail(msg) {
  log(`VALIDATION FAILED: ${msg}`);
  process.exit(1);
}
