// Layer factories (`layers.lstm({...})`, as tf.layers); the table of kinds that rebuilds layers from
// model.json and config files is ./registry.ts.

import type { Layer, LayerArgs } from "./layer.js";
import {
  Input, Dense, Dropout, Embedding, Flatten, RepeatVector, Masking,
  type InputArgs, type DenseArgs, type DropoutArgs, type EmbeddingArgs, type RepeatVectorArgs, type MaskingArgs,
} from "./core.js";
import { LSTM, GRU, SimpleRNN, type LstmArgs, type GruArgs, type SimpleRnnArgs } from "./recurrent.js";
import { TimeDistributed, Bidirectional, type BidirectionalArgs } from "./wrappers.js";
import { makeBidirectional } from "./registry.js";
import { Concatenate, Add, Multiply, type ConcatenateArgs } from "./merge.js";
import {
  Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, type Conv1DArgs, type Pooling1DArgs,
} from "./conv.js";
import { Attention, AdditiveAttention, type AttentionArgs, type AdditiveAttentionArgs } from "./attention.js";

export const input = (args: InputArgs): Input => new Input(args);
export const dense = (args: DenseArgs): Dense => new Dense(args);
export const dropout = (args: DropoutArgs): Dropout => new Dropout(args);
export const embedding = (args: EmbeddingArgs): Embedding => new Embedding(args);
export const flatten = (args: LayerArgs = {}): Flatten => new Flatten(args);
export const repeatVector = (args: RepeatVectorArgs): RepeatVector => new RepeatVector(args);
export const masking = (args: MaskingArgs = {}): Masking => new Masking(args);
export const lstm = (args: LstmArgs): LSTM => new LSTM(args);
export const gru = (args: GruArgs): GRU => new GRU(args);
export const simpleRnn = (args: SimpleRnnArgs): SimpleRNN => new SimpleRNN(args);
export const conv1d = (args: Conv1DArgs): Conv1D => new Conv1D(args);
export const maxPooling1d = (args: Pooling1DArgs = {}): MaxPooling1D => new MaxPooling1D(args);
export const averagePooling1d = (args: Pooling1DArgs = {}): AveragePooling1D => new AveragePooling1D(args);
export const globalAveragePooling1d = (args: LayerArgs = {}): GlobalAveragePooling1D => new GlobalAveragePooling1D(args);
export const globalMaxPooling1d = (args: LayerArgs = {}): GlobalMaxPooling1D => new GlobalMaxPooling1D(args);
export const attention = (args: AttentionArgs = {}): Attention => new Attention(args);
export const additiveAttention = (args: AdditiveAttentionArgs = {}): AdditiveAttention => new AdditiveAttention(args);
export const concatenate = (args: ConcatenateArgs = {}): Concatenate => new Concatenate(args);
export const add = (args: LayerArgs = {}): Add => new Add(args);
export const multiply = (args: LayerArgs = {}): Multiply => new Multiply(args);
export const timeDistributed = (layer: Layer, args: LayerArgs = {}): TimeDistributed => new TimeDistributed(layer, args);
export const bidirectional = (layer: Layer, args: BidirectionalArgs = {}): Bidirectional => makeBidirectional(layer, args);

export { fromConfig, kindOfType, namePrefix, layerKinds, type LayerKind } from "./registry.js";
export { Layer, Param, MultiInputLayer } from "./layer.js";
export type { LayerArgs, LayerConfig, CallArgs, ApplyArgs } from "./layer.js";
export { SymbolicTensor } from "./symbolic.js";
export { Input, Dense, Dropout, Embedding, Flatten, RepeatVector, Masking } from "./core.js";
export type { InputArgs, DenseArgs, DropoutArgs, EmbeddingArgs, RepeatVectorArgs, DenseActivation, MaskingArgs } from "./core.js";
export { LSTM, GRU, SimpleRNN, RecurrentLayer } from "./recurrent.js";
export type { LstmArgs, GruArgs, SimpleRnnArgs, RecurrentArgs, RecurrentResult, LstmInternals, GruInternals } from "./recurrent.js";
export { TimeDistributed, Bidirectional } from "./wrappers.js";
export type { BidirectionalArgs, MergeMode } from "./wrappers.js";
export { Conv1D, MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D } from "./conv.js";
export type { Conv1DArgs, Pooling1DArgs, Padding1d } from "./conv.js";
export { Attention, AdditiveAttention } from "./attention.js";
export type { AttentionArgs, AdditiveAttentionArgs, AttentionScoreMode } from "./attention.js";
export { Concatenate, Add, Multiply } from "./merge.js";
export type { ConcatenateArgs } from "./merge.js";
