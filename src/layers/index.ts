// Layer factories (`layers.lstm({...})`, as tf.layers) and the registry that rebuilds layers from model.json.

import { ConfigError } from "../tensor/errors.js";
import { Layer, type LayerConfig } from "./layer.js";
import {
  Input, Dense, Dropout, Embedding, Flatten, RepeatVector,
  type InputArgs, type DenseArgs, type DropoutArgs, type EmbeddingArgs, type RepeatVectorArgs,
} from "./core.js";
import { LSTM, GRU, SimpleRNN, type LstmArgs, type GruArgs, type SimpleRnnArgs } from "./recurrent.js";
import { TimeDistributed, Bidirectional, type BidirectionalArgs } from "./wrappers.js";
import type { LayerArgs } from "./layer.js";

export const input = (args: InputArgs): Input => new Input(args);
export const dense = (args: DenseArgs): Dense => new Dense(args);
export const dropout = (args: DropoutArgs): Dropout => new Dropout(args);
export const embedding = (args: EmbeddingArgs): Embedding => new Embedding(args);
export const flatten = (args: LayerArgs = {}): Flatten => new Flatten(args);
export const repeatVector = (args: RepeatVectorArgs): RepeatVector => new RepeatVector(args);
export const lstm = (args: LstmArgs): LSTM => new LSTM(args);
export const gru = (args: GruArgs): GRU => new GRU(args);
export const simpleRnn = (args: SimpleRnnArgs): SimpleRNN => new SimpleRNN(args);
export const timeDistributed = (layer: Layer, args: LayerArgs = {}): TimeDistributed => new TimeDistributed(layer, args);
export const bidirectional = (layer: Layer, args: BidirectionalArgs = {}): Bidirectional =>
  new Bidirectional(layer, args, (config) => fromConfig(layer.className, config));

/** Rebuild a layer from its class name and `getConfig()` (model.json). */
export function fromConfig(className: string, config: LayerConfig): Layer {
  const c = config as Record<string, unknown>;
  const inner = (): Layer => {
    const l = c.layer as { className: string; config: LayerConfig } | undefined;
    if (!l) throw new ConfigError(`${className} config has no wrapped layer`);
    return fromConfig(l.className, l.config);
  };
  switch (className) {
    case "InputLayer": return new Input(c as unknown as InputArgs);
    case "Dense": return new Dense(c as unknown as DenseArgs);
    case "Dropout": return new Dropout(c as unknown as DropoutArgs);
    case "Embedding": return new Embedding(c as unknown as EmbeddingArgs);
    case "Flatten": return new Flatten(c as unknown as LayerArgs);
    case "RepeatVector": return new RepeatVector(c as unknown as RepeatVectorArgs);
    case "LSTM": return new LSTM(c as unknown as LstmArgs);
    case "GRU": return new GRU(c as unknown as GruArgs);
    case "SimpleRNN": return new SimpleRNN(c as unknown as SimpleRnnArgs);
    case "TimeDistributed": return new TimeDistributed(inner(), { name: config.name });
    case "Bidirectional": {
      const l = inner();
      return new Bidirectional(l, c as BidirectionalArgs, (cfg) => fromConfig(l.className, cfg));
    }
    default:
      throw new ConfigError(`unknown layer class "${className}"`);
  }
}

export { Layer, Param } from "./layer.js";
export type { LayerArgs, LayerConfig } from "./layer.js";
export { Input, Dense, Dropout, Embedding, Flatten, RepeatVector } from "./core.js";
export type { InputArgs, DenseArgs, DropoutArgs, EmbeddingArgs, RepeatVectorArgs, DenseActivation } from "./core.js";
export { LSTM, GRU, SimpleRNN, RecurrentLayer } from "./recurrent.js";
export type { LstmArgs, GruArgs, SimpleRnnArgs, RecurrentArgs, RecurrentResult, LstmInternals, GruInternals } from "./recurrent.js";
export { TimeDistributed, Bidirectional } from "./wrappers.js";
export type { BidirectionalArgs, MergeMode } from "./wrappers.js";
