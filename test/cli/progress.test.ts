// The CLI's calm progress: one lasting line per training run on a terminal (redrawn in place with
// a carriage return and erase-line), and the forecast command's whole output bounded on a real
// pseudo-terminal and through a pipe, so the ensemble's training cannot flood the screen again.

import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { calmProgress } from "../../src/cli/progress.js";
import type { ProgressRenderer, RunContext } from "../../src/models/progress.js";
import { screenLines } from "../helpers/screen.js";

function fakeStream(isTTY: boolean): NodeJS.WritableStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns: 100, writes, write: (s: string) => (writes.push(s), true) } as unknown as NodeJS.WritableStream & { writes: string[] };
}

/** Two networks of at most 30 epochs; the first stops early 3 epochs after its best, the second runs out. */
function train(r: ProgressRenderer): void {
  for (const [index, ran] of [[0, 12], [1, 30]] as const) {
    const run: RunContext = { label: "network", index, count: 2 };
    for (let epoch = 0; epoch < ran; epoch++) {
      const info = { epoch, epochs: 30, steps: 4, verbose: 2 as const, run };
      r.epochBegin?.(info);
      const val = index === 0 && epoch > 8 ? 0.5 + epoch / 100 : 1 / (epoch + 1);
      r.epochEnd?.({ ...info, logs: { loss: 1 / (epoch + 2), val_loss: val }, seconds: 0.5 });
    }
    r.trainEnd?.({ epochs: 30, epochsRun: ran, verbose: 2, run, seconds: ran / 2, ...(ran < 30 ? { stoppedBy: "callback" as const } : {}) });
  }
}

describe("calmProgress", () => {
  it("on a terminal redraws one line in place per network and leaves one summary line each", () => {
    const s = fakeStream(true);
    train(calmProgress(s));
    expect(s.writes.length).toBeGreaterThan(40);
    for (const w of s.writes) expect(w.startsWith("\r\x1b[2K")).toBe(true);
    expect(s.writes.filter((w) => w.includes("\n"))).toHaveLength(2);
    expect(s.writes).toContain("\r\x1b[2Knetwork 1/2 · epoch 5/30 · loss 0.1667 · val_loss 0.2000 · ETA 13s");
    expect(screenLines(s.writes.join(""))).toEqual([
      "network 1/2 · 12/30 epochs · best val_loss 0.1111 at epoch 9 · stopped early: no better val_loss in 3 epochs · 6s",
      "network 2/2 · 30/30 epochs · best val_loss 0.0333 at epoch 30 · ran every epoch · 15s",
    ]);
  });

  it("keeps a redrawn line narrower than the terminal, so wrapping cannot leave rows behind", () => {
    const s = fakeStream(true);
    (s as unknown as { columns: number }).columns = 40;
    train(calmProgress(s));
    const live = s.writes.filter((w) => !w.endsWith("\n"));
    expect(live.length).toBeGreaterThan(40);
    for (const w of live) expect(w.replace("\r\x1b[2K", "").length).toBeLessThan(40);
  });

  it("off a terminal writes a line per epoch, or with epochLines false only the summaries", () => {
    const lines = fakeStream(false);
    train(calmProgress(lines));
    expect(lines.writes.join("")).not.toMatch(/\r|\x1b/);
    expect(lines.writes).toHaveLength(12 + 30 + 2);
    const quiet = fakeStream(false);
    train(calmProgress(quiet, { epochLines: false }));
    expect(quiet.writes.map((w) => w.split(" · ")[0])).toEqual(["network 1/2", "network 2/2"]);
  });
});

const hasScript = spawnSync("script", ["--version"]).status === 0;
const root = fileURLToPath(new URL("../..", import.meta.url));
const cmd = "npx tsx src/cli/bin.ts forecast --epochs 20";

describe("recurrent forecast on the bundled example", () => {
  it.skipIf(!hasScript)("leaves fewer than 80 lines on a pseudo-terminal (util-linux script is required)", () => {
    const r = spawnSync("script", ["-qfec", cmd, "/dev/null"], { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("\x1b[2K");
    const screen = screenLines(r.stdout);
    expect(screen.length).toBeLessThan(80);
    for (let k = 1; k <= 4; k++) expect(screen.filter((l) => l.startsWith(`network ${k}/4 · `))).toHaveLength(1);
    expect(screen.some((l) => l.startsWith("Forecast past the end of the data"))).toBe(true);
  });

  it("leaves fewer than 80 lines when piped", () => {
    const r = spawnSync("sh", ["-c", cmd], { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBeLessThan(80);
    expect(lines.some((l) => l.startsWith("Forecast past the end of the data"))).toBe(true);
  });
});
