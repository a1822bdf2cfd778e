// The one table of layer kinds: the class name written to model.json (Keras's), the factory name
// users call and config files use, the prefix of automatic layer names, and how to rebuild a layer.

import { ConfigError } from "../tensor/errors.js";
import type { Layer, LayerArgs, LayerConfig } from "./layer.js";
import {
  Input, Dense, Dropout, Embedding, Flatten, RepeatVector, Masking,
  type InputArgs, type DenseArgs, type DropoutArgs, type EmbeddingArgs, type RepeatVectorArgs, type MaskingArgs,
} from "./core.js";
import { LSTM, GRU, SimpleRNN, type LstmArgs, type GruArgs, type SimpleRnnArgs } from "./recurrent.js";
import { TimeDistributed, Bidirectional, type BidirectionalArgs } from "./wrappers.js";
import { Concatenate, Add, Multiply, type ConcatenateArgs } from "./merge.js";
import {
  Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, type Conv1DArgs, type Pooling1DArgs,
} from "./conv.js";
import { Attention, AdditiveAttention, type AttentionArgs, type AdditiveAttentionArgs } from "./attention.js";

export interface LayerKind {
  /** Keras class name, as in model.json: "SimpleRNN". */
  className: string;
  /** Factory name in `layers.*` and layer `type` in config files: "simpleRnn". */
  type: string;
  /** Automatic layer names, Keras's snake case: "simple_rnn", "simple_rnn_1", … */
  prefix: string;
  /** Gate blocks in a recurrent kind's kernels (LSTM i, f, c, o; GRU z, r, h). */
  gates?: number;
  /** True for wrappers, whose args hold the wrapped layer. */
  wraps: boolean;
  /** True for layers that take several inputs (merges, attention): functional models only. */
  multiInput?: boolean;
  /** Build from args (a config file's, or `getConfig()` without its `layer`); `inner` is the wrapped layer. */
  create(args: Record<string, unknown>, inner: Layer | null): Layer;
}

type Args = Record<string, unknown>;

/** Bidirectional runs a copy of the wrapped layer backwards; the copy is rebuilt from its config. */
export function makeBidirectional(inner: Layer, args: BidirectionalArgs): Bidirectional {
  return new Bidirectional(inner, args, (config) => fromConfig(inner.className, config));
}

const KINDS: LayerKind[] = [
  { className: "InputLayer", type: "input", prefix: "input_layer", wraps: false, create: (a) => new Input(a as unknown as InputArgs) },
  { className: "Dense", type: "dense", prefix: "dense", wraps: false, create: (a) => new Dense(a as unknown as DenseArgs) },
  { className: "Dropout", type: "dropout", prefix: "dropout", wraps: false, create: (a) => new Dropout(a as unknown as DropoutArgs) },
  { className: "Embedding", type: "embedding", prefix: "embedding", wraps: false, create: (a) => new Embedding(a as unknown as EmbeddingArgs) },
  { className: "Flatten", type: "flatten", prefix: "flatten", wraps: false, create: (a) => new Flatten(a as LayerArgs) },
  { className: "RepeatVector", type: "repeatVector", prefix: "repeat_vector", wraps: false, create: (a) => new RepeatVector(a as unknown as RepeatVectorArgs) },
  { className: "Masking", type: "masking", prefix: "masking", wraps: false, create: (a) => new Masking(a as MaskingArgs) },
  { className: "LSTM", type: "lstm", prefix: "lstm", gates: 4, wraps: false, create: (a) => new LSTM(a as unknown as LstmArgs) },
  { className: "GRU", type: "gru", prefix: "gru", gates: 3, wraps: false, create: (a) => new GRU(a as unknown as GruArgs) },
  { className: "SimpleRNN", type: "simpleRnn", prefix: "simple_rnn", gates: 1, wraps: false, create: (a) => new SimpleRNN(a as unknown as SimpleRnnArgs) },
  { className: "Conv1D", type: "conv1d", prefix: "conv1d", wraps: false, create: (a) => new Conv1D(a as unknown as Conv1DArgs) },
  { className: "MaxPooling1D", type: "maxPooling1d", prefix: "max_pooling1d", wraps: false, create: (a) => new MaxPooling1D(a as Pooling1DArgs) },
  { className: "AveragePooling1D", type: "averagePooling1d", prefix: "average_pooling1d", wraps: false, create: (a) => new AveragePooling1D(a as Pooling1DArgs) },
  { className: "GlobalAveragePooling1D", type: "globalAveragePooling1d", prefix: "global_average_pooling1d", wraps: false, create: (a) => new GlobalAveragePooling1D(a as LayerArgs) },
  { className: "GlobalMaxPooling1D", type: "globalMaxPooling1d", prefix: "global_max_pooling1d", wraps: false, create: (a) => new GlobalMaxPooling1D(a as LayerArgs) },
  { className: "Attention", type: "attention", prefix: "attention", wraps: false, multiInput: true, create: (a) => new Attention(a as AttentionArgs) },
  { className: "AdditiveAttention", type: "additiveAttention", prefix: "additive_attention", wraps: false, multiInput: true, create: (a) => new AdditiveAttention(a as AdditiveAttentionArgs) },
  { className: "Concatenate", type: "concatenate", prefix: "concatenate", wraps: false, multiInput: true, create: (a) => new Concatenate(a as ConcatenateArgs) },
  { className: "Add", type: "add", prefix: "add", wraps: false, multiInput: true, create: (a) => new Add(a as LayerArgs) },
  { className: "Multiply", type: "multiply", prefix: "multiply", wraps: false, multiInput: true, create: (a) => new Multiply(a as LayerArgs) },
  { className: "TimeDistributed", type: "timeDistributed", prefix: "time_distributed", wraps: true, create: (a, inner) => new TimeDistributed(inner!, a as LayerArgs) },
  { className: "Bidirectional", type: "bidirectional", prefix: "bidirectional", wraps: true, create: (a, inner) => makeBidirectional(inner!, a as BidirectionalArgs) },
];

const byClass = new Map(KINDS.map((k) => [k.className, k]));
const byType = new Map(KINDS.map((k) => [k.type, k]));

/** Every built-in kind, in a stable order. */
export function layerKinds(): readonly LayerKind[] {
  return KINDS;
}

/** The kind a config file's `type` names; the error lists the valid types. */
export function kindOfType(type: string, where: string): LayerKind {
  const k = byType.get(type);
  if (!k) throw new ConfigError(`${where}: unknown layer type "${type}"; choose one of ${KINDS.map((c) => c.type).join(", ")}`);
  return k;
}

/** The prefix of automatic names for a class; user-defined layers get their class name in lower case. */
export function namePrefix(className: string): string {
  return byClass.get(className)?.prefix ?? className.toLowerCase();
}

/** Rebuild a layer from its class name and `getConfig()` (model.json). */
export function fromConfig(className: string, config: LayerConfig): Layer {
  const kind = typeof className === "string" ? byClass.get(className) : undefined;
  if (!kind) throw new ConfigError(`unknown layer class ${JSON.stringify(className) ?? String(className)}`);
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new ConfigError(`${className} config must be an object, got ${config === null ? "null" : Array.isArray(config) ? "an array" : typeof config}`);
  }
  if (!kind.wraps) return kind.create(config, null);
  const { layer, ...args } = config as Args & { layer?: { className: string; config: LayerConfig } };
  if (!layer) throw new ConfigError(`${className} config has no wrapped layer`);
  if (typeof layer !== "object" || typeof layer.className !== "string") {
    throw new ConfigError(`${className} config: layer must be { className, config }, got ${JSON.stringify(layer)}`);
  }
  return kind.create(args, fromConfig(layer.className, layer.config));
}
