// Learning check: the word-level sentiment classifier of examples/sentiment.ts (Embedding with
// maskZero → Bidirectional(LSTM) → Dense(1, sigmoid)) on real review sentences, beside a bag-of-words
// logistic regression trained in the same run on the same split and vocabulary.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULTS, loadSentences, main, runSentiment, splitSentences } from "../../examples/sentiment.js";

describe("sentiment classifier on the UCI labelled sentences", () => {
  it("scores well above chance on held-out sentences and within 5 points of the bag-of-words baseline", async () => {
    const all = loadSentences();
    expect(all.length).toBe(3000);
    expect(all.filter((s) => s.label === 1).length).toBe(1500);
    const split = splitSentences(all, 0.2, 3);
    const r = await runSentiment({ ...DEFAULTS, seed: 3, verbose: 0 }, split);
    // Measured with these settings on seeds 1–8 (600 held-out sentences each): LSTM 0.798–0.837
    // (mean 0.813), baseline 0.792–0.847 (mean 0.825), LSTM − baseline from −3.0 to +0.8 points
    // (mean −1.2); seed 3 here: 0.823 against 0.830. On a few thousand sentences a linear model on
    // word presence is hard to beat (the LSTM must learn word meaning from the same 2,400 labels);
    // the standard error of a paired difference of two accuracies on 600 sentences is ~1.5 points,
    // so the margin of 5 is about three of them. Chance is 0.5 (balanced labels); an untrained or
    // input-blind model scores about that.
    expect(r.test).toBe(600);
    expect(r.lstmAccuracy).toBeGreaterThan(0.75);
    expect(r.bagOfWordsAccuracy).toBeGreaterThan(0.75);
    expect(r.lstmAccuracy).toBeGreaterThanOrEqual(r.bagOfWordsAccuracy - 0.05);
  }, 60_000);

  it("runs end to end in --quick mode, printing both accuracies and writing sentiment.json under --out", async () => {
    const out = mkdtempSync(join(tmpdir(), "recurrent-sentiment-"));
    try {
      const lines: string[] = [];
      const r = await main(["--quick", "--verbose", "0", "--out", out], (s) => lines.push(s));
      const text = lines.join("\n");
      expect(text).toContain("bag-of-words logistic regression");
      expect(text).toContain("Bidirectional(LSTM)(16), padding masked");
      expect(r.train + r.test).toBe(600);
      expect(JSON.parse(readFileSync(join(out, "sentiment.json"), "utf8")).lstmAccuracy).toBe(r.lstmAccuracy);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 30_000);
});
