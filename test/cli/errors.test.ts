// One error discipline for every command: exit 2 for bad input (arguments, options, files, data),
// exit 1 for an internal fault, one paragraph on stderr naming what, where and why, no stack trace
// unless --debug; a broken stdout pipe ends quietly; --quiet still prints the result; --out is
// checked (created, writable) before any training.

import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, chmodSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, spawnCli, STACK_LINE, monthlyRows, dailyRows } from "./helpers.js";
import { describeFailure, describeFsError, wantsDebug } from "../../src/cli/errors.js";
import { ConfigError, DataError, ModelFormatError, NonFiniteError, ShapeError } from "../../src/tensor/errors.js";
import { Sequential } from "../../src/models/sequential.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "recurrent-errors-"));
  chmodSync(dir, 0o755); // readable by the unprivileged user of the read-only test
});
afterAll(() => {
  // the read-only directories must become writable again to be removed
  for (const d of ["ro", "ro2"]) if (existsSync(join(dir, d))) chmodSync(join(dir, d), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const fsError = (code: string, syscall: string, path: string): Error =>
  Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });

describe("describeFailure: exit code and one paragraph", () => {
  it("maps the library's typed errors to exit 2 with their message", () => {
    for (const E of [ConfigError, DataError, ModelFormatError, ShapeError, NonFiniteError]) {
      const f = describeFailure(new E("weather.csv line 7: bad value"));
      expect(f.code).toBe(2);
      expect(f.message).toBe("error: weather.csv line 7: bad value");
    }
  });

  it("maps file-system errors to exit 2, naming the path and the reason", () => {
    const cases: [string, string, string, RegExp][] = [
      ["EACCES", "open", "/srv/out/forecast.csv", /^error: cannot open \/srv\/out\/forecast\.csv: permission denied \(EACCES\)$/],
      ["ENOENT", "open", "data/nope.csv", /^error: cannot open data\/nope\.csv: no such file or directory \(ENOENT\)$/],
      ["EROFS", "mkdir", "/mnt/ro/run", /^error: cannot create the directory \/mnt\/ro\/run: read-only file system \(EROFS\)$/],
      ["ENOTDIR", "mkdir", "a.csv/run", /^error: cannot create the directory a\.csv\/run: a component of the path is not a directory \(ENOTDIR\)$/],
      ["EEXIST", "mkdir", "runs/x", /^error: cannot create the directory runs\/x: it already exists \(EEXIST\)$/],
      ["ENOSPC", "write", "/full/model.json", /no space left on the device \(ENOSPC\)$/],
      ["EISDIR", "open", "runs", /^error: cannot open runs: it is a directory \(EISDIR\)$/],
    ];
    for (const [code, syscall, path, want] of cases) {
      const f = describeFailure(fsError(code, syscall, path));
      expect(f.code, code).toBe(2);
      expect(f.message, code).toMatch(want);
    }
  });

  it("names the real file, not the temporary one an atomic write failed on", () => {
    const e = fsError("EACCES", "open", "/srv/out/forecast.csv.tmp-4242-3") as Error & { code: string; path: string };
    expect(describeFsError(e)).toBe("cannot open /srv/out/forecast.csv: permission denied (EACCES)");
  });

  it("anything else is an internal fault: exit 1 and a hint to rerun with --debug", () => {
    const f = describeFailure(new TypeError("Cannot read properties of undefined (reading 'data')"));
    expect(f.code).toBe(1);
    expect(f.message).toMatch(/^internal error: TypeError: Cannot read properties of undefined \(reading 'data'\)\. .*rerun with --debug/);
    expect(describeFailure("a string").code).toBe(1);
    expect(describeFailure(new Error("the pool stopped.")).message).toMatch(/^internal error: the pool stopped\. This is a fault/);
  });

  it("keeps a multi-line message to one paragraph", () => {
    expect(describeFailure(new DataError("first line\n  second line")).message).toBe("error: first line second line");
  });

  it("sees --debug anywhere before --", () => {
    expect(wantsDebug(["node", "recurrent", "forecast", "--debug"])).toBe(true);
    expect(wantsDebug(["node", "recurrent", "--debug", "summary", "x"])).toBe(true);
    expect(wantsDebug(["node", "recurrent", "summary", "--", "--debug"])).toBe(false);
  });
});

describe("the command: exit codes, messages, --debug", () => {
  it("bad input: exit 2, one paragraph naming the file, no stack trace", async () => {
    const r = await cli("forecast", join(dir, "missing.csv"), "--quiet");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: .*missing\.csv/);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).not.toMatch(STACK_LINE);
  });

  it("--debug adds the stack trace, before or after the command", async () => {
    for (const args of [["--debug", "forecast", join(dir, "missing.csv")], ["forecast", join(dir, "missing.csv"), "--debug"]]) {
      const r = await cli(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error: .*missing\.csv/);
      expect(r.err).toMatch(STACK_LINE);
    }
  });

  it("an internal fault: exit 1, 'internal error', the hint, and the stack only with --debug", async () => {
    const config = write("fault.json", JSON.stringify({ data: { csv: "x.csv", lookback: 4 }, model: { layers: [{ type: "lstm", units: 2 }, { type: "dense", units: 1 }] } }));
    const spy = vi.spyOn(Sequential.prototype, "summary").mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'units')");
    });
    try {
      const r = await cli("summary", config);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^internal error: TypeError: Cannot read properties of undefined \(reading 'units'\)\. This is a fault in recurrent.*rerun with --debug/);
      expect(r.err).not.toMatch(STACK_LINE);
      const d = await cli("summary", config, "--debug");
      expect(d.code).toBe(1);
      expect(d.err).toMatch(STACK_LINE);
    } finally {
      spy.mockRestore();
    }
  });

  it("a damaged run.json or forecaster.json is bad input (exit 2 naming the file), not a crash", async () => {
    const run = join(dir, "damaged-run");
    mkdirSync(run);
    writeFileSync(join(run, "run.json"), '{"format": "recurrent-run", ');
    for (const cmd of ["evaluate", "predict", "inspect"]) {
      const r = await cli(cmd, run);
      expect(r.code, cmd).toBe(2);
      expect(r.err, cmd).toMatch(new RegExp(`^error: ${join(run, "run.json")}: not valid JSON \\(.*\\); the run directory is damaged, train it again\n$`));
    }
    const fdir = join(dir, "damaged-forecaster");
    mkdirSync(fdir);
    writeFileSync(join(fdir, "forecaster.json"), "null");
    const f = await cli("predict", fdir);
    expect(f.code).toBe(2);
    expect(f.err).toBe(`error: ${join(fdir, "forecaster.json")}: not a saved forecaster (not a JSON object)\n`);
  });

  it("a misspelt option or a missing argument: exit 2, commander's message, no stack", async () => {
    const a = await cli("forecast", "--horizn", "3");
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/unknown option '--horizn'/);
    expect(a.err).not.toMatch(STACK_LINE);
    const b = await cli("train", "--out", join(dir, "never"));
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/missing required argument 'config'/);
  });

  it("--help and --version exit 0", async () => {
    expect((await cli("--help")).code).toBe(0);
    const v = await cli("--version");
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("--out is checked before any training", () => {
  it("/proc/nope: exit 2 at once (Node's recursive mkdir never returns there)", async () => {
    if (!existsSync("/proc/self")) return; // Linux only
    const csv = write("p.csv", monthlyRows(60));
    const t0 = performance.now();
    const r = await cli("forecast", csv, "--out", "/proc/nope", "--epochs", "1");
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: --out /proc/nope: cannot create the directory /proc/nope: no such file or directory (ENOENT)\n");
    expect(r.out).toBe("");
  });

  it("a file where a directory is needed: exit 2 naming it", async () => {
    const csv = write("q.csv", monthlyRows(60));
    const r1 = await cli("forecast", csv, "--out", csv, "--epochs", "1");
    expect(r1.code).toBe(2);
    expect(r1.err).toBe(`error: --out ${csv} is a file, not a directory\n`);
    const r2 = await cli("train", write("c.json", "{}"), "--out", join(csv, "run"));
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/c\.json: 2 problems: data is required; model is required/);
    const r3 = await cli("forecast", csv, "--out", join(csv, "run"), "--epochs", "1");
    expect(r3.code).toBe(2);
    expect(r3.err).toBe(`error: --out ${join(csv, "run")}: cannot create the directory ${join(csv, "run")}: ${csv} is a file, not a directory\n`);
  });

  it("a read-only directory: exit 2 naming the path, before training, whether --out is inside it or is it", async () => {
    write("r.csv", monthlyRows(60));
    const ro = join(dir, "ro");
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    // root ignores permissions: run the command as an unprivileged user then
    const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const inside = await spawnCli(["forecast", join(dir, "r.csv"), "--out", join(ro, "run"), "--epochs", "1"], as);
    expect(inside.code).toBe(2);
    expect(inside.err).toBe(`error: --out ${join(ro, "run")}: cannot create the directory ${join(ro, "run")}: permission denied (EACCES)\n`);
    expect(inside.out).toBe("");
    const itself = await spawnCli(["forecast", join(dir, "r.csv"), "--out", ro, "--epochs", "1"], as);
    expect(itself.code).toBe(2);
    expect(itself.err).toBe(`error: --out ${ro}: cannot write to ${ro}: permission denied (EACCES)\n`);
    expect(readdirSync(ro)).toEqual([]);
  });
});

describe("stdout closed early (`recurrent ... | head -1`)", () => {
  it("ends quietly with exit 0 instead of crashing on EPIPE", async () => {
    const r = await spawnCli(["forecast", "--help"], { closeStdout: true });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("--quiet", () => {
  it("hides progress, notes, the summary and the chart, but prints the result", async () => {
    const csv = write("quiet.csv", monthlyRows(72));
    const r = await cli("forecast", csv, "--horizon", "3", "--epochs", "2", "--quiet");
    expect(r.code).toBe(0);
    expect(r.err).toBe("");
    expect(r.out).toMatch(/Rolling-origin backtest: \d+ origins × 3 steps/);
    expect(r.out).toMatch(/seasonal naive/);
    expect(r.out).toMatch(/Forecast past the end of the data \(3 months\):\n  2016-01  [\d.]+\n  2016-02  [\d.]+\n  2016-03  [\d.]+\n$/);
    expect(r.out).not.toMatch(/•|network \d\/\d|Model: |actual vs/);
  });
});

describe("too short a series: the message gives the real minimum", () => {
  it("daily data: 36 points are refused with 'at least 37', and 37 points forecast", async () => {
    const short = await cli("forecast", write("d36.csv", dailyRows(36)), "--quiet");
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/the series has 36 points, too few for lookback 14 \+ horizon 14 with a test span of 14: at least 37 points are needed \(8 training windows, with lookback 2 and a test span of 14\)/);
    const ok = await cli("forecast", write("d37.csv", dailyRows(37)), "--epochs", "1", "--json");
    expect(ok.code).toBe(0);
    const doc = JSON.parse(ok.out) as { lookback: number; horizon: number };
    expect(doc).toMatchObject({ lookback: 2, horizon: 14 });
  });
});
