// The four recurrent layer kinds under test, built by one factory so every suite covers the same set.

import * as layers from "../../src/layers/index.js";
import type { RecurrentLayer } from "../../src/layers/index.js";

export type Kind = "lstm" | "gru" | "gruResetBefore" | "simpleRnn";
export const KINDS: Kind[] = ["lstm", "gru", "gruResetBefore", "simpleRnn"];

/** A recurrent layer of `kind` with `units` units and extra options. */
export function makeRecurrent(kind: Kind, units: number, args: Record<string, unknown> = {}): RecurrentLayer {
  const a = { units, ...args };
  switch (kind) {
    case "lstm": return layers.lstm(a);
    case "gru": return layers.gru({ ...a, resetAfter: true });
    case "gruResetBefore": return layers.gru({ ...a, resetAfter: false });
    case "simpleRnn": return layers.simpleRnn(a);
  }
}
