// Symbolic tensors: the nodes of a functional model's graph (Keras's KerasTensor). `input()` makes
// one per model input; `layer.apply(...)` builds the layer for the shapes it is given and returns
// the tensors of its outputs. `model({ inputs, outputs })` (src/models/functional.ts) walks them
// back from the outputs to the inputs. No numbers flow here: only shapes and connections.

import { ConfigError, ShapeError, fmtShape } from "../tensor/errors.js";
import type { Layer } from "./layer.js";

/** Options of one call of a layer in a graph. */
export interface CallArgs {
  /** Recurrent layers: how many of the inputs after the first are initial states. */
  initialStates?: number;
  /** Attention layers: also output the attention weights [batch, Tq, Tv]. */
  returnAttentionScores?: boolean;
  /** Attention layers: query step i attends to value steps j <= i only (decoder self-attention). */
  useCausalMask?: boolean;
}

/** Options of `layer.apply`. */
export interface ApplyArgs {
  /** Recurrent layers: start from these states ([h, c] for an LSTM, [h] for a GRU or SimpleRNN), each [batch, units]. */
  initialState?: SymbolicTensor | SymbolicTensor[];
  /** Attention layers: also return the attention weights [batch, Tq, Tv] as a second output. */
  returnAttentionScores?: boolean;
  /** Attention layers: query step i attends to value steps j <= i only (Keras's use_causal_mask). */
  useCausalMask?: boolean;
}

let nextId = 0;

/** One call of a layer in a graph: its input tensors and the tensors of its outputs. */
export class LayerCall {
  readonly outputs: SymbolicTensor[];
  constructor(readonly layer: Layer, readonly inputs: SymbolicTensor[], readonly args: CallArgs, outputShapes: number[][]) {
    this.outputs = outputShapes.map((s, k) => new SymbolicTensor(s, this, k));
  }
}

/**
 * A placeholder for a batch of data in a functional graph: its per-sample shape (without the batch
 * axis), and the layer call that produces it (null for a model input).
 */
export class SymbolicTensor {
  readonly id = nextId++;
  readonly shape: number[];
  constructor(shape: number[], readonly call: LayerCall | null, readonly index: number, readonly name: string | null = null) {
    this.shape = [...shape];
  }

  /** True for a tensor made by `input()`. */
  get isInput(): boolean {
    return this.call === null;
  }

  toString(): string {
    const from = this.call ? `output ${this.index} of layer "${this.call.layer.name || this.call.layer.className}"` : `input "${this.name ?? "?"}"`;
    return `SymbolicTensor(${fmtShape([null, ...this.shape])}, ${from})`;
  }
}

export interface InputOptions {
  /** Shape of one sample, without the batch axis: [timesteps, features], [features], [timesteps] for token ids. */
  shape: number[];
  /** Name of the input (the model's inputs are listed by it). Default "input", "input_1", … */
  name?: string;
}

let inputCount = 0;

/** A model input for the functional API: `const x = input({ shape: [30, 1] })`. */
export function input(args: InputOptions): SymbolicTensor {
  if (args === null || typeof args !== "object") throw new ConfigError(`input: expected { shape, name? }, got ${args === null ? "null" : typeof args}`);
  const extra = Object.keys(args).filter((k) => k !== "shape" && k !== "name");
  if (extra.length) throw new ConfigError(`input: unknown option${extra.length > 1 ? "s" : ""} ${extra.map((k) => `'${k}'`).join(", ")}; valid options are shape, name`);
  const { shape, name } = args;
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ShapeError(`input: shape must be a non-empty list of positive integers (one sample, without the batch axis), got ${JSON.stringify(shape)}`);
  }
  if (name !== undefined && (typeof name !== "string" || name === "")) throw new ConfigError(`input: name must be a non-empty string, got ${JSON.stringify(name)}`);
  const k = inputCount++;
  return new SymbolicTensor(shape, null, 0, name ?? (k === 0 ? "input" : `input_${k}`));
}

function checkSymbolic(v: unknown, where: string): SymbolicTensor {
  if (!(v instanceof SymbolicTensor)) {
    const got = v === null ? "null" : Array.isArray(v) ? "a nested array" : typeof v === "object" ? (v as object).constructor?.name ?? "an object" : typeof v;
    throw new ConfigError(`${where}: expected a symbolic tensor (from input() or another layer's apply), got ${got}`);
  }
  return v;
}

/** `layer.apply(...)`: build the layer for the input shapes, record the call, return its output tensors. */
export function applyLayer(layer: Layer, inputs: SymbolicTensor | SymbolicTensor[], args: ApplyArgs = {}): SymbolicTensor | SymbolicTensor[] {
  const who = `layer "${layer.name || layer.className}" apply`;
  if (args === null || typeof args !== "object") throw new ConfigError(`${who}: options must be an object, got ${typeof args}`);
  const extra = Object.keys(args).filter((k) => k !== "initialState" && k !== "returnAttentionScores" && k !== "useCausalMask");
  if (extra.length) throw new ConfigError(`${who}: unknown option${extra.length > 1 ? "s" : ""} ${extra.map((k) => `'${k}'`).join(", ")}; valid options are initialState, returnAttentionScores, useCausalMask`);
  const understood = layer.callOptions();
  for (const k of Object.keys(args)) {
    if ((args as Record<string, unknown>)[k] !== undefined && !understood.includes(k)) {
      throw new ConfigError(`${who}: ${layer.className} takes no '${k}' option${understood.length ? ` (it takes ${understood.join(", ")})` : ""}; ${k === "initialState" ? "initial states start recurrent layers (lstm, gru, simpleRnn)" : "that option belongs to the attention layers"}`);
    }
  }
  const list = (Array.isArray(inputs) ? inputs : [inputs]).map((v, k) => checkSymbolic(v, `${who}: input ${k}`));
  if (list.length === 0) throw new ConfigError(`${who}: give at least one input`);
  const call: CallArgs = {};
  if (args.initialState !== undefined) {
    const states = (Array.isArray(args.initialState) ? args.initialState : [args.initialState]).map((v, k) => checkSymbolic(v, `${who}: initialState[${k}]`));
    if (list.length !== 1) throw new ConfigError(`${who}: initialState goes with a single input sequence`);
    list.push(...states);
    call.initialStates = states.length;
  }
  if (args.returnAttentionScores !== undefined) {
    if (typeof args.returnAttentionScores !== "boolean") throw new ConfigError(`${who}: returnAttentionScores must be true or false`);
    call.returnAttentionScores = args.returnAttentionScores;
  }
  if (args.useCausalMask !== undefined) {
    if (typeof args.useCausalMask !== "boolean") throw new ConfigError(`${who}: useCausalMask must be true or false`);
    call.useCausalMask = args.useCausalMask;
  }
  const shapes = layer.buildCall(list.map((t) => t.shape), call);
  const c = new LayerCall(layer, list, call, shapes);
  return c.outputs.length === 1 ? c.outputs[0]! : c.outputs;
}
