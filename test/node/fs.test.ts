// The Node adapter's atomic write: the new content appears all at once under the real name, and a
// write that fails at any step leaves the previous content and no temporary file.

import { describe, it, expect, vi, afterEach, afterAll } from "vitest";
import * as fs from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { tempDir, removeTempDirs } from "../models/fixtures.js";

vi.mock("node:fs", async (importOriginal) => {
  const orig = await importOriginal<typeof import("node:fs")>();
  return { ...orig, writeFileSync: vi.fn(orig.writeFileSync), fsyncSync: vi.fn(orig.fsyncSync), renameSync: vi.fn(orig.renameSync), readdirSync: vi.fn(orig.readdirSync) };
});

afterEach(() => {
  vi.mocked(fs.writeFileSync).mockReset();
  vi.mocked(fs.fsyncSync).mockReset();
  vi.mocked(fs.renameSync).mockReset();
});
afterAll(removeTempDirs);

// The test setup already loaded the adapter with the real node:fs; load it again under the mock.
vi.resetModules();
const { writeFileAtomic, nodeFileSystem, sweepTemporaries, tempPath, targetOfTemp, STALE_TEMP_MS } = await import("../../src/node/fs.js");

const fail = (code: string) => () => {
  throw Object.assign(new Error(`${code}: injected`), { code });
};

describe("writeFileAtomic", () => {
  it("replaces the content, syncs the file before the rename, and leaves only the target", async () => {
    const dir = await tempDir();
    const path = join(dir, "a.json");
    await writeFile(path, "old");
    writeFileAtomic(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["a.json"]);
    const synced = vi.mocked(fs.fsyncSync).mock.invocationCallOrder[0]!;
    expect(synced).toBeLessThan(vi.mocked(fs.renameSync).mock.invocationCallOrder[0]!);
  });

  for (const [step, mock] of [["write", fs.writeFileSync], ["fsync", fs.fsyncSync], ["rename", fs.renameSync]] as const) {
    it(`a failed ${step} keeps the previous content and removes the temporary file`, async () => {
      const dir = await tempDir();
      const path = join(dir, "a.bin");
      await writeFile(path, "old");
      vi.mocked(mock as (...a: unknown[]) => unknown).mockImplementationOnce(fail("EIO"));
      expect(() => writeFileAtomic(path, new Uint8Array([1, 2, 3]))).toThrow(/EIO/);
      expect(await readFile(path, "utf8")).toBe("old");
      expect(await readdir(dir)).toEqual(["a.bin"]);
    });
  }

  it("is the port's writeAtomic, and creates files that did not exist", async () => {
    const dir = await tempDir();
    nodeFileSystem.writeAtomic(join(dir, "fresh.txt"), "x");
    expect(await readFile(join(dir, "fresh.txt"), "utf8")).toBe("x");
  });
});

describe("temporary files of killed writes", () => {
  /** The pid of a process that has exited (a killed writer's). */
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ["-e", ""]);
    return r.pid!;
  };

  it("are named <file>.tmp-<pid>-<n> and map back to their target", () => {
    const t = tempPath("/d/model.json");
    expect(t).toMatch(new RegExp(`^/d/model\\.json\\.tmp-${process.pid}-\\d+$`));
    expect(targetOfTemp(t)).toBe("/d/model.json");
    expect(targetOfTemp("/d/model.json")).toBe("/d/model.json");
  });

  it("the next write into the directory removes those of dead processes and old ones, and nothing else", async () => {
    const dir = await tempDir();
    const dead = `weights-0000abcd.bin.tmp-${deadPid()}-0`;
    const live = `model.json.tmp-${process.ppid}-4`; // our parent is alive: a write may be in progress
    const mine = `model.json.tmp-${process.pid}-999`;
    const oldLive = `run.json.tmp-${process.ppid}-5`;
    const others = ["notes.tmp", "a.json.tmp-x-1", "model.json"];
    for (const f of [dead, live, mine, oldLive, ...others]) await writeFile(join(dir, f), "x");
    const hourAgo = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    fs.utimesSync(join(dir, oldLive), hourAgo, hourAgo);
    writeFileAtomic(join(dir, "report.html"), "<p>");
    expect((await readdir(dir)).sort()).toEqual([live, mine, ...others, "report.html"].sort());
  });

  it("a directory is listed on the first write into it, then at most once a minute", async () => {
    const dir = await tempDir();
    const listed = (): number => vi.mocked(fs.readdirSync).mock.calls.filter((c) => c[0] === dir).length;
    const before = listed();
    for (let i = 0; i < 5; i++) writeFileAtomic(join(dir, "log.csv"), `row ${i}`);
    expect(listed() - before).toBe(1);
  });

  it("sweepTemporaries reports what it removed and skips a directory it cannot list", async () => {
    const dir = await tempDir();
    const dead = `a.bin.tmp-${deadPid()}-1`;
    await writeFile(join(dir, dead), "x");
    expect(sweepTemporaries(dir)).toEqual([dead]);
    expect(sweepTemporaries(join(dir, "missing"))).toEqual([]);
  });
});

describe("nodeFileSystem.packageDir", () => {
  it("finds a package root even when its exports map hides package.json", () => {
    const root = nodeFileSystem.packageDir("vega-lite");
    expect(JSON.parse(fs.readFileSync(join(root, "package.json"), "utf8")).name).toBe("vega-lite");
  });
});
