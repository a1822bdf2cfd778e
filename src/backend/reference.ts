// The reference backend: plain typed arrays and the TypeScript kernels of src/kernels, unchanged.
// Every faster backend is checked against it (test/backend), and runs through it any kernel it
// does not accelerate.

import { gemm, fillRows, addColumnSums } from "../kernels/gemm.js";
import { lstmForward, lstmBackward } from "../kernels/lstm.js";
import { lstmPeepholeForward, lstmPeepholeBackward } from "../kernels/lstm_peephole.js";
import { gruForward, gruBackward } from "../kernels/gru.js";
import { rnnForward, rnnBackward } from "../kernels/simple_rnn.js";
import { activate, activateBackward, softmaxRows, softmaxRowsBackward } from "../kernels/activations.js";
import { lossForward } from "../kernels/losses.js";
import { optimizerUpdate, sumSquares, type OptimizerUpdateArgs } from "../kernels/optimizers.js";
import type {
  Backend, GemmArgs, FillRowsArgs, ColumnSumsArgs, LstmForwardArgs, LstmBackwardArgs,
  GruForwardArgs, GruBackwardArgs, RnnForwardArgs, RnnBackwardArgs,
  ActivateArgs, ActivateBackwardArgs, SoftmaxArgs, SoftmaxBackwardArgs, LossArgs,
} from "./backend.js";

export class ReferenceBackend implements Backend {
  readonly name = "js" as const;

  alloc(n: number): Float32Array {
    return new Float32Array(n);
  }

  free(a: Float32Array): void {
    void a; // the garbage collector owns typed arrays
  }

  owns(a: Float32Array): boolean {
    void a;
    return true;
  }

  gemm(p: GemmArgs): void {
    gemm(p.transA, p.transB, p.M, p.N, p.K, p.alpha ?? 1, p.A, p.aOff ?? 0, p.lda, p.B, p.bOff ?? 0, p.ldb,
      p.beta ?? 0, p.C, p.cOff ?? 0, p.ldc);
  }

  fillRows(p: FillRowsArgs): void {
    fillRows(p.Y, p.yOff, p.rows, p.N, p.bias, p.biasOff);
  }

  columnSums(p: ColumnSumsArgs): void {
    const off = p.xOff ?? 0;
    addColumnSums(off === 0 ? p.X : p.X.subarray(off), p.rows, p.N, p.out, p.outOff);
  }

  lstmForward(p: LstmForwardArgs): void {
    if (p.P) return lstmPeepholeForward(p.B, p.T, p.H, p.U, p.P, p.gates, p.hs, p.cs, p.tc, p.act, p.recAct, p.recMask, p.hm);
    lstmForward(p.B, p.T, p.H, p.U, p.gates, p.hs, p.cs, p.tc, p.act, p.recAct, p.recMask, p.hm);
  }

  lstmBackward(p: LstmBackwardArgs): void {
    if (p.P) {
      if (!p.dP) throw new Error("lstmBackward: a peephole LSTM needs dP, the buffer its peephole gradient accumulates into");
      return lstmPeepholeBackward(p.B, p.T, p.H, p.U, p.P, p.gates, p.cs, p.tc, p.act, p.recAct, p.recMask, p.dhs, p.dh, p.dc, p.dZ, p.dP);
    }
    lstmBackward(p.B, p.T, p.H, p.U, p.gates, p.cs, p.tc, p.act, p.recAct, p.recMask, p.dhs, p.dh, p.dc, p.dZ);
  }

  gruForward(p: GruForwardArgs): void {
    gruForward(p.B, p.T, p.H, p.resetAfter, p.U, p.recBias, p.recBiasOff, p.gates, p.rec, p.hs, p.act, p.recAct, p.recMask, p.hm);
  }

  gruBackward(p: GruBackwardArgs): void {
    gruBackward(p.B, p.T, p.H, p.resetAfter, p.U, p.gates, p.rec, p.hs, p.act, p.recAct, p.recMask, p.hm,
      p.dhs, p.dh, p.tmp, p.dZx, p.dZh);
  }

  rnnForward(p: RnnForwardArgs): void {
    rnnForward(p.B, p.T, p.H, p.U, p.pre, p.hs, p.act, p.recMask, p.hm);
  }

  rnnBackward(p: RnnBackwardArgs): void {
    rnnBackward(p.B, p.T, p.H, p.U, p.hs, p.act, p.recMask, p.dhs, p.dh, p.dZ);
  }

  activate(p: ActivateArgs): void {
    activate(p.f, p.x, p.y, p.off, p.n);
  }

  activateBackward(p: ActivateBackwardArgs): void {
    activateBackward(p.f, p.y, p.dy, p.dx, p.off, p.n);
  }

  softmax(p: SoftmaxArgs): void {
    softmaxRows(p.x, p.y, p.rows, p.n);
  }

  softmaxBackward(p: SoftmaxBackwardArgs): void {
    softmaxRowsBackward(p.y, p.dy, p.dx, p.rows, p.n);
  }

  loss(p: LossArgs): number {
    return lossForward(p.spec, p.pred, p.target, p.classes, p.grad);
  }

  optimizerUpdate(p: OptimizerUpdateArgs): void {
    optimizerUpdate(p);
  }

  sumSquares(a: Float32Array): number {
    return sumSquares(a);
  }
}

/** The process-wide reference backend (it holds no state). */
export const referenceBackend = new ReferenceBackend();
