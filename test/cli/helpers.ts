// Running the `recurrent` command in tests: in-process through main() with stdout and stderr
// captured, or as a child process through the real executable (src/cli/bin.ts under tsx) when the
// test needs what only a process has: its exit on a broken pipe, another user's permissions.

import { spawn, type SpawnOptions } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";

export interface Run { code: number; out: string; err: string }

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Run the CLI in-process with stdout and stderr captured. */
export async function cli(...args: string[]): Promise<Run> {
  let out = "", err = "";
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => { out += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { err += String(s); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(["node", "recurrent", ...args]);
    return { code, out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}

/**
 * Run the real executable as a child process. `closeStdout` closes the read end of its stdout at
 * once, as `| head -1` does once it has its line.
 */
export function spawnCli(args: string[], opts: { closeStdout?: boolean; uid?: number; gid?: number } = {}): Promise<Run & { signal: string | null }> {
  const so: SpawnOptions = { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } };
  if (opts.uid !== undefined) Object.assign(so, { uid: opts.uid, gid: opts.gid ?? opts.uid });
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/bin.ts", ...args], so);
  let out = "", err = "";
  if (opts.closeStdout) child.stdout!.destroy();
  else child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? -1, signal, out, err }));
  });
}

/** A stack trace line ("    at f (file:1:2)"). */
export const STACK_LINE = /^\s+at .+[:(]/m;

/** Monthly rows from 2010-01 with a trend, a yearly season and a little wobble: `month,sales`. */
export function monthlyRows(n: number): string {
  const rows = ["month,sales"];
  for (let i = 0; i < n; i++) {
    const y = 2010 + Math.floor(i / 12), m = (i % 12) + 1;
    const v = 50 + 0.3 * i + 10 * Math.sin((2 * Math.PI * i) / 12) + 2 * Math.sin(i * 1.7);
    rows.push(`${y}-${String(m).padStart(2, "0")}-01,${v.toFixed(3)}`);
  }
  return rows.join("\n") + "\n";
}

/** Daily rows from 2020-01-01 with a weekly pattern: `date,visits`. */
export function dailyRows(n: number): string {
  const rows = ["date,visits"];
  const t0 = Date.UTC(2020, 0, 1);
  for (let i = 0; i < n; i++) {
    const d = new Date(t0 + i * 86_400_000).toISOString().slice(0, 10);
    rows.push(`${d},${(100 + 0.5 * i + 8 * Math.sin((2 * Math.PI * i) / 7) + 3 * Math.cos(i * 1.3)).toFixed(2)}`);
  }
  return rows.join("\n") + "\n";
}
