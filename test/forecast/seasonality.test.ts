// Seasonal profiles: recovered from series whose pattern is known, absent from series without one.
import { describe, it, expect } from "vitest";
import {
  estimateProfile, detectSeasonality, deseasonalize, reseasonalize, movingAverageTrend, STRENGTH_THRESHOLD,
} from "../../src/forecast/index.js";
import { Rng } from "../../src/tensor/rng.js";

const m = 12;
const shape = (t: number): number => 3 * Math.sin((2 * Math.PI * t) / m) + Math.cos((4 * Math.PI * t) / m);

describe("seasonal profile", () => {
  it("the centred 2×12 moving average removes a 12-periodic pattern and keeps a line", () => {
    const x = Array.from({ length: 48 }, (_, t) => 5 + 0.5 * t + shape(t));
    const trend = movingAverageTrend(x, m);
    expect(Number.isNaN(trend[5]!)).toBe(true); // needs 6 values on each side
    for (let t = 6; t < 42; t++) expect(trend[t]).toBeCloseTo(5 + 0.5 * t, 10);
  });

  it("recovers an additive pattern on a trend, with two harmonics", () => {
    const rng = new Rng(3);
    const x = Array.from({ length: 120 }, (_, t) => 20 + 0.3 * t + shape(t) + 0.1 * rng.normal());
    const p = detectSeasonality(x, m)!;
    expect(p.mode).toBe("additive");
    expect(p.harmonics).toBeGreaterThanOrEqual(2);
    expect(p.strength).toBeGreaterThan(0.98);
    for (let k = 0; k < m; k++) expect(Math.abs(p.values[k]! - shape(k))).toBeLessThan(0.1);
    const z = deseasonalize(x, p);
    expect(reseasonalize(z[50]!, 50, p)).toBeCloseTo(x[50]!, 12);
  });

  it("chooses the multiplicative mode when the swing grows with the level", () => {
    const x = Array.from({ length: 144 }, (_, t) => (100 + 5 * t) * (1 + 0.2 * Math.sin((2 * Math.PI * t) / m)));
    const p = detectSeasonality(x, m)!;
    expect(p.mode).toBe("multiplicative");
    expect(p.values[3]).toBeCloseTo(1.2, 2);
    expect(deseasonalize(x, p)[99]).toBeCloseTo(100 + 5 * 99, -1);
  });

  it("finds no seasonality in a random walk, or in too short a series", () => {
    const rng = new Rng(9);
    let v = 100;
    const walk = Array.from({ length: 120 }, () => (v += rng.normal()));
    const p = estimateProfile(walk, m)!;
    expect(p.strength).toBeLessThan(STRENGTH_THRESHOLD);
    expect(detectSeasonality(walk, m)).toBeNull();
    expect(estimateProfile(walk.slice(0, 35), m)).toBeNull(); // fewer than two seasons once detrended
    expect(detectSeasonality(walk, 1)).toBeNull();
  });

  it("weights recent seasons more, so a changed pattern is followed", () => {
    // The sign of the pattern flips after 8 seasons; the last 4 seasons have the new sign.
    const x = Array.from({ length: 144 }, (_, t) => 50 + (t < 96 ? 1 : -1) * 2 * Math.sin((2 * Math.PI * t) / m));
    const recent = estimateProfile(x, m)!;
    const flat = estimateProfile(x, m, { decay: 0 })!;
    expect(recent.values[3]).toBeLessThan(-0.5); // follows the new sign
    expect(flat.values[3]).toBeGreaterThan(0.5); // 8 old seasons outvote 4 new ones
  });
});
