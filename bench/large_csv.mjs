// Large CSV files through `recurrent forecast`: wall time and peak RSS of the whole CLI run, and of
// loadSeries alone, for generated files of given sizes. The point is the reader, so training is cut
// to one epoch.
//
//   npm run build && node bench/large_csv.mjs                 # 1 GB
//   node bench/large_csv.mjs --sizes 50MB,200MB,1GB           # several sizes, one table
//   node bench/large_csv.mjs --sizes 50MB --keep              # keep the file (its path is printed)
//
// The file has three columns, `date,value,other`: one row per minute from 1970-01-01T00:00 (a 1 GB
// file spans about 65 years), `value` a daily and yearly cycle plus noise, `other` an integer the
// forecast does not use. The CLI resamples it to days (`--freq day`, mean), so the model sees about
// 24 000 days. The file is written to os.tmpdir() and deleted afterwards.
//
// Peak RSS is the child's own maximum resident set and CPU its user + system time (getrusage, read
// by a preload module at exit; /usr/bin/time -v reports the same figures). On a shared machine the
// wall time includes waiting for a core; the CPU time does not.

import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));

function parseSize(s) {
  const m = String(s).trim().match(/^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i);
  if (!m) throw new Error(`cannot read size "${s}": expected e.g. 50MB, 1GB`);
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[(m[2] ?? "B").toUpperCase()];
  return Math.round(Number(m[1]) * unit);
}

function args(argv) {
  const out = { sizes: ["1GB"], keep: false, cli: join(root, "dist/cli/bin.js"), freq: "day", skipCli: false, skipLoad: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--sizes" || a === "--size") out.sizes = argv[++i].split(",");
    else if (a === "--keep") out.keep = true;
    else if (a === "--cli") out.cli = resolve(argv[++i]);
    else if (a === "--freq") out.freq = argv[++i];
    else if (a === "--only-load") out.skipCli = true;
    else if (a === "--only-cli") out.skipLoad = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** Days since 1970-01-01 → y, m, d (H. Hinnant's civil_from_days). */
function civil(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** Writes `date,value,other` rows, one per minute, until the file reaches `bytes`. Returns the row count. */
function generate(path, bytes) {
  const fd = openSync(path, "w");
  let written = 0;
  let rows = 0;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  const header = "date,value,other\n";
  writeSync(fd, header);
  written += header.length;
  let minute = 0;
  try {
    while (written < bytes) {
      const parts = [];
      let batch = 0;
      for (let day = Math.floor(minute / 1440); batch < 4_000_000 && written + batch < bytes; day++) {
        const [y, m, d] = civil(day);
        const date = `${y}-${pad(m)}-${pad(d)}T`;
        const yearly = 8 * Math.sin((2 * Math.PI * day) / 365.25);
        for (let k = minute % 1440; k < 1440 && written + batch < bytes; k++, minute++) {
          const daily = 3 * Math.sin((2 * Math.PI * k) / 1440);
          const value = (15 + yearly + daily + 2 * rand()).toFixed(3);
          const line = `${date}${pad(Math.floor(k / 60))}:${pad(k % 60)},${value},${(minute * 7919) % 100000}\n`;
          parts.push(line);
          batch += line.length;
          rows++;
        }
      }
      const chunk = parts.join("");
      writeSync(fd, chunk);
      written += chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return rows;
}

/** Runs `node <args>` with the RSS probe preloaded; returns wall seconds, peak RSS (MiB), exit code, output tail. */
function measure(probe, nodeArgs) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(probe).href, ...nodeArgs], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = (r.stderr ?? "").match(/PEAK_RSS_KB (\d+) CPU_US (\d+)/);
  const out = `${r.stdout ?? ""}\n${(r.stderr ?? "").replace(/PEAK_RSS_KB .*\n?/, "")}`.trim();
  return {
    wall,
    cpu: m ? Number(m[2]) / 1e6 : NaN,
    rssMiB: m ? Number(m[1]) / 1024 : NaN,
    code: r.status,
    tail: out.split("\n").slice(-6).join("\n"),
  };
}

const opts = args(process.argv.slice(2));
if (!opts.skipCli && !existsSync(opts.cli)) {
  console.error(`${opts.cli} not found: run \`npm run build\` first (or pass --cli)`);
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), "recurrent-large-csv-"));
const probe = join(dir, "rss-probe.mjs");
writeFileSync(
  probe,
  `process.on("exit", () => { const u = process.resourceUsage(); ` +
    `process.stderr.write("PEAK_RSS_KB " + u.maxRSS + " CPU_US " + (u.userCPUTime + u.systemCPUTime) + "\\n"); });\n`,
);
const loadScript = join(dir, "load.mjs");
writeFileSync(
  loadScript,
  `import { loadSeries } from ${JSON.stringify(pathToFileURL(join(root, "dist/index.js")).href)};\n` +
    `const t0 = performance.now();\n` +
    `const s = loadSeries(process.argv[2], { date: "date", target: "value", freq: process.argv[3] });\n` +
    `console.log(\`loadSeries: \${s.values.length} \${s.freq}s in \${((performance.now() - t0) / 1000).toFixed(1)} s\`);\n` +
    `for (const n of s.notes) console.log("• " + n);\n`,
);

const results = [];
try {
  for (const sizeText of opts.sizes) {
    const bytes = parseSize(sizeText);
    const csv = join(dir, `minutes-${sizeText}.csv`);
    const g0 = Date.now();
    const rows = generate(csv, bytes);
    const size = statSync(csv).size;
    console.log(`${sizeText}: wrote ${csv} (${(size / 1e6).toFixed(0)} MB, ${rows} rows) in ${((Date.now() - g0) / 1000).toFixed(1)} s`);
    const row = { size: sizeText, bytes: size, rows };
    if (!opts.skipLoad) {
      const r = measure(probe, [loadScript, csv, opts.freq]);
      console.log(`  loadSeries alone: ${r.wall.toFixed(1)} s (CPU ${r.cpu.toFixed(1)} s), peak RSS ${r.rssMiB.toFixed(0)} MiB, exit ${r.code}\n${r.tail.replace(/^/gm, "    ")}`);
      row.load = r;
    }
    if (!opts.skipCli) {
      const r = measure(probe, [opts.cli, "forecast", csv, "--date", "date", "--target", "value", "--freq", opts.freq, "--epochs", "1", "--quiet"]);
      console.log(`  recurrent forecast: ${r.wall.toFixed(1)} s (CPU ${r.cpu.toFixed(1)} s), peak RSS ${r.rssMiB.toFixed(0)} MiB, exit ${r.code}\n${r.tail.replace(/^/gm, "    ")}`);
      row.cli = r;
    }
    results.push(row);
    if (opts.keep) console.log(`  kept ${csv}`);
    else rmSync(csv, { force: true });
  }
} finally {
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
}

console.log("\n| file | rows | loadSeries: wall (CPU) | loadSeries: peak RSS | forecast CLI: wall (CPU) | forecast CLI: peak RSS |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of results) {
  const cell = (m, f) => (m ? (m.code === 0 ? f(m) : `exit ${m.code}`) : "–");
  console.log(
    `| ${(r.bytes / 1e6).toFixed(0)} MB | ${r.rows.toLocaleString("en-US")} | ${cell(r.load, (m) => `${m.wall.toFixed(1)} s (${m.cpu.toFixed(1)} s)`)} | ` +
      `${cell(r.load, (m) => `${m.rssMiB.toFixed(0)} MiB`)} | ${cell(r.cli, (m) => `${m.wall.toFixed(1)} s (${m.cpu.toFixed(1)} s)`)} | ${cell(r.cli, (m) => `${m.rssMiB.toFixed(0)} MiB`)} |`,
  );
}
if (results.some((r) => (r.load && r.load.code !== 0) || (r.cli && r.cli.code !== 0))) process.exitCode = 1;
