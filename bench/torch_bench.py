"""PyTorch side of `npm run bench`, one measurement per process (run.mjs spawns it with /usr/bin/python3).

  python3 bench/torch_bench.py train W_sine <threads> [--samples N] [--epochs 3] [--fixture F.json]
  python3 bench/torch_bench.py infer W_sine <threads> [--calls 200] [--bcalls 20] [--fixture F.json]
  python3 bench/torch_bench.py export_onnx W_sine 1 --fixture F.json --out model.onnx

Adapted from the peer study's torch_bench.py: same models (one nn.LSTM per Keras LSTM, Dropout
between; RMSprop alpha 0.9, eps 1e-7 as Keras), same loop (zero_grad, forward, loss, backward,
step), one untimed warm-up epoch then the median of the timed ones. Inputs come from the same
mulberry32 / Box-Muller generators as bench/workloads.mjs, so every peer sees the same numbers.

Debian's python3-torch links libblas.so.3, by default the netlib reference BLAS (about 5 GFLOP/s,
one thread): a comparison against it means nothing. run.mjs puts OpenBLAS on LD_LIBRARY_PATH and
sets OPENBLAS_CORETYPE; this script refuses to time anything when OpenBLAS is not what got loaded.
With --fixture (written by validate.mjs) the model first gets recurrent's weights and must predict
what recurrent predicts, with the same loss.
"""
import os
import sys

args = sys.argv[1:]
pos, opt = [], {}
i = 0
while i < len(args):
    if args[i].startswith("--"):
        if i + 1 < len(args) and not args[i + 1].startswith("--"):
            opt[args[i][2:]] = args[i + 1]
            i += 2
        else:
            opt[args[i][2:]] = True
            i += 1
    else:
        pos.append(args[i])
        i += 1
MODE, WORKLOAD, THREADS = pos[0], pos[1], int(pos[2])
# OpenMP and OpenBLAS read these when they load, i.e. at `import torch`
os.environ["OMP_NUM_THREADS"] = str(THREADS)
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)

import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

torch.set_num_threads(THREADS)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
torch.manual_seed(0)

WORKLOADS = {
    "W_sine": dict(T=50, F=1, batch=32, samples=1792),
    "W_stock": dict(T=60, F=1, batch=32, samples=1024),
    "W_encdec_b1": dict(T=18, F=1, batch=1, samples=256),
    "W_encdec_b32": dict(T=18, F=1, batch=32, samples=256),
    "W_char": dict(T=100, F=1, batch=32, samples=512, vocab=65),
}
M32 = 0xFFFFFFFF


def fail(msg):
    print("VALIDATION FAILED: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def mulberry32(seed):
    a = seed & M32

    def nxt():
        nonlocal a
        a = (a + 0x6D2B79F5) & M32
        t = a
        t = ((t ^ (t >> 15)) * (t | 1)) & M32
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return nxt


def randn(n, seed):
    u = mulberry32(seed)
    out = [0.0] * n
    for k in range(0, n, 2):
        u1, u2 = max(u(), 1e-12), u()
        r = math.sqrt(-2 * math.log(u1))
        out[k] = r * math.cos(2 * math.pi * u2)
        if k + 1 < n:
            out[k + 1] = r * math.sin(2 * math.pi * u2)
    return out


def randint(n, hi, seed):
    u = mulberry32(seed)
    return [math.floor(u() * hi) for _ in range(n)]


def data(name, n):
    """bench/workloads.mjs makeData: seeds 11 (inputs) and 12 (targets)."""
    w = WORKLOADS[name]
    T = w["T"]
    if name == "W_char":
        return (torch.tensor(randint(n * T, 65, 11)).reshape(n, T), torch.tensor(randint(n * T, 65, 12)).reshape(n, T))
    x = torch.tensor(randn(n * T, 11), dtype=torch.float32).reshape(n, T, 1)
    if name.startswith("W_encdec"):
        return x, torch.tensor(randn(n * T, 12), dtype=torch.float32).reshape(n, T, 1)
    return x, torch.tensor(randn(n, 12), dtype=torch.float32).reshape(n, 1)


def blas_name():
    with open("/proc/self/maps") as f:
        maps = f.read()
    if "openblas" in maps:
        return "OpenBLAS (" + os.environ.get("OPENBLAS_CORETYPE", "autodetected core") + ")"
    return "reference BLAS"


class Sine(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.LSTM(1, 128, batch_first=True)
        self.d1 = nn.Dropout(0.2)
        self.l2 = nn.LSTM(128, 64, batch_first=True)
        self.d2 = nn.Dropout(0.2)
        self.f1 = nn.Linear(64, 32)
        self.f2 = nn.Linear(32, 1)

    def forward(self, x):
        y, _ = self.l1(x)
        _, (h, _) = self.l2(self.d1(y))
        return self.f2(torch.relu(self.f1(self.d2(h[-1]))))

    def keras_layers(self):
        return [("lstm", self.l1), ("lstm", self.l2), ("dense", self.f1), ("dense", self.f2)]


class Stock(nn.Module):
    def __init__(self):
        super().__init__()
        self.ls = nn.ModuleList([nn.LSTM(1 if k == 0 else 50, 50, batch_first=True) for k in range(4)])
        self.ds = nn.ModuleList([nn.Dropout(0.2) for _ in range(4)])
        self.out = nn.Linear(50, 1)

    def forward(self, x):
        y = x
        for k in range(3):
            y = self.ds[k](self.ls[k](y)[0])
        _, (h, _) = self.ls[3](y)
        return self.out(self.ds[3](h[-1]))

    def keras_layers(self):
        return [("lstm", m) for m in self.ls] + [("dense", self.out)]


class EncDec(nn.Module):
    def __init__(self, T=18):
        super().__init__()
        self.T = T
        self.enc = nn.LSTM(1, 32, batch_first=True, bidirectional=True)
        self.dec = nn.LSTM(64, 32, batch_first=True, bidirectional=True)
        self.out = nn.Linear(64, 1)  # TimeDistributed(Dense(1)) = Linear on the last axis

    def forward(self, x):
        _, (h, _) = self.enc(x)  # h[0]: forward's final state, h[1]: backward's
        z = torch.cat([h[0], h[1]], dim=1).unsqueeze(1).expand(-1, self.T, -1)  # RepeatVector
        y, _ = self.dec(z)
        return self.out(y)

    def keras_layers(self):
        return [("bilstm", self.enc), ("bilstm", self.dec), ("dense", self.out)]


class Char(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(65, 64)
        self.lstm = nn.LSTM(64, 256, batch_first=True)
        self.out = nn.Linear(256, 65)

    def forward(self, x):
        return self.out(self.lstm(self.emb(x))[0])  # logits; the softmax is inside CrossEntropyLoss

    def keras_layers(self):
        return [("embedding", self.emb), ("lstm", self.lstm), ("dense", self.out)]


def build(name):
    if name == "W_sine":
        m = Sine()
        return m, torch.optim.Adam(m.parameters(), lr=1e-3), nn.MSELoss()
    if name == "W_stock":
        m = Stock()
        return m, torch.optim.RMSprop(m.parameters(), lr=1e-3, alpha=0.9, eps=1e-7), nn.MSELoss()
    if name.startswith("W_encdec"):
        m = EncDec()
        return m, torch.optim.Adam(m.parameters(), lr=1e-3), nn.MSELoss()
    m = Char()
    ce = nn.CrossEntropyLoss()
    return m, torch.optim.Adam(m.parameters(), lr=1e-3), (lambda out, y: ce(out.reshape(-1, 65), y.reshape(-1)))


def load_keras_weights(model, weights):
    """recurrent's getWeights() (Keras layout: kernel [in, out], gates i f c o) into torch (weight [out, in], gates i f g o)."""
    ws = [torch.tensor(w["data"], dtype=torch.float32).reshape(w["shape"]) for w in weights]
    k = 0
    with torch.no_grad():
        for kind, mod in model.keras_layers():
            if kind == "embedding":
                mod.weight.copy_(ws[k])
                k += 1
            elif kind == "dense":
                mod.weight.copy_(ws[k].T)
                mod.bias.copy_(ws[k + 1])
                k += 2
            else:
                for suffix in ([""] if kind == "lstm" else ["", "_reverse"]):
                    getattr(mod, "weight_ih_l0" + suffix).copy_(ws[k].T)
                    getattr(mod, "weight_hh_l0" + suffix).copy_(ws[k + 1].T)
                    getattr(mod, "bias_ih_l0" + suffix).copy_(ws[k + 2])
                    getattr(mod, "bias_hh_l0" + suffix).zero_()
                    k += 3
    if k != len(ws):
        fail(f"{WORKLOAD}: recurrent has {len(ws)} weight arrays, the torch model took {k}")


def check_parity(name, fixture_path):
    """Same weights, same inputs: torch must predict what recurrent predicted, with the same loss."""
    with open(fixture_path) as f:
        fx = json.load(f)
    model, _, lossf = build(name)
    load_keras_weights(model, fx["weights"])
    model.eval()
    dtype = torch.long if name == "W_char" else torch.float32
    x = torch.tensor(fx["x"], dtype=dtype).reshape(fx["x_shape"])
    y = torch.tensor(fx["y"], dtype=dtype).reshape(fx["y_shape"][:2] if name == "W_char" else fx["y_shape"])
    with torch.no_grad():
        out = model(x)
        loss = float(lossf(out, y))
        pred = torch.softmax(out, -1) if name == "W_char" else out
    ref = torch.tensor(fx["pred"], dtype=torch.float32)
    rel = float((pred.flatten() - ref).abs().max() / max(float(ref.abs().max()), 1e-3))
    if not rel < 1e-4:
        fail(f"{name}: torch predicts differently from recurrent on the same weights (max rel diff {rel})")
    if not abs(loss - fx["loss"]) <= 1e-4 * max(1.0, abs(fx["loss"])):
        fail(f"{name}: loss {loss} in torch, {fx['loss']} in recurrent")
    return model, rel


def check_learns(name):
    """Loss on one batch, without dropout, is finite and falls over 8 training steps."""
    model, optim, lossf = build(name)
    x, y = data(name, WORKLOADS[name]["batch"])

    def loss_now():
        model.eval()
        with torch.no_grad():
            v = float(lossf(model(x), y))
        model.train()
        return v

    before = loss_now()
    for _ in range(8):
        optim.zero_grad(set_to_none=True)
        lossf(model(x), y).backward()
        optim.step()
    after = loss_now()
    if not (math.isfinite(before) and math.isfinite(after) and after < before):
        fail(f"{name}: loss on one batch did not decrease over 8 steps ({before} -> {after})")
    return before, after


def info():
    return dict(peer=f"torch {THREADS}T", torch=torch.__version__, threads=torch.get_num_threads(), blas=blas_name())


def emit(d):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    d = dict(d, peak_rss_mb=round(ru.ru_maxrss / 1024, 3), process_cpu_s=round(ru.ru_utime + ru.ru_stime, 3))
    print("RESULT " + json.dumps(d), flush=True)


def spread(xs):
    return 100.0 * (max(xs) - min(xs)) / statistics.median(xs)


def require_openblas():
    if "openblas" not in blas_name().lower():
        fail("torch is running on the reference BLAS, not OpenBLAS: its numbers would mean nothing")
    if torch.get_num_threads() != THREADS:
        fail(f"asked for {THREADS} threads, torch runs {torch.get_num_threads()}")


def train():
    w = WORKLOADS[WORKLOAD]
    n = int(opt.get("samples", w["samples"]))
    epochs = int(opt.get("epochs", 3))
    B = w["batch"]
    checks = {}
    if "fixture" in opt:
        checks["max_rel_diff_vs_recurrent"] = check_parity(WORKLOAD, opt["fixture"])[1]
    checks["loss_before"], checks["loss_after"] = check_learns(WORKLOAD)
    print(f"    torch {THREADS}T: one-batch loss {checks['loss_before']:.4f} -> {checks['loss_after']:.4f} after 8 steps"
          + (f"; recurrent's weights give its predictions (max rel diff {checks['max_rel_diff_vs_recurrent']:.1e})" if "fixture" in opt else ""),
          file=sys.stderr, flush=True)
    model, optim, lossf = build(WORKLOAD)
    model.train()
    x, y = data(WORKLOAD, n)
    times, cpu, loss_v = [], [], None
    for _ in range(1 + epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        for s in range(0, n, B):
            optim.zero_grad(set_to_none=True)
            loss = lossf(model(x[s:s + B]), y[s:s + B])
            loss.backward()
            optim.step()
        loss_v = float(loss)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if not math.isfinite(loss_v):
        fail(f"{WORKLOAD}: non-finite training loss {loss_v}")
    meas, mcpu = times[1:], cpu[1:]
    emit(dict(info(), workload=WORKLOAD, mode="train", batch=B, samples_per_epoch=n, warmup_samples=n,
              warmup_epoch_s=round(times[0], 3), epoch_s=[round(t, 3) for t in meas],
              spread_pct=round(spread(meas), 3), samples_per_s=round(n / statistics.median(meas), 3),
              cpu_s=[round(t, 3) for t in mcpu], samples_per_cpu_s=round(n / statistics.median(mcpu), 3),
              final_loss=round(loss_v, 4), params=sum(p.numel() for p in model.parameters()), validated=checks))


def infer():
    if "fixture" in opt:
        model, _ = check_parity("W_sine", opt["fixture"])
    else:
        model, _, _ = build("W_sine")
    model.eval()
    calls, bcalls, B = int(opt.get("calls", 200)), int(opt.get("bcalls", 20)), 256
    x1 = data("W_sine", 1)[0]
    xb = data("W_sine", B)[0]
    with torch.inference_mode():
        y1, yb0 = float(model(x1)[0, 0]), float(model(xb)[0, 0])
        if not (math.isfinite(y1) and abs(y1 - yb0) <= 1e-5 * max(1.0, abs(y1))):
            fail(f"W_sine: batch 1 predicts {y1}, row 0 of batch 256 {yb0}")
        for _ in range(20):
            model(x1)
        lat = []
        for _ in range(calls):
            t = time.perf_counter()
            model(x1)
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        emit(dict(info(), workload="W_sine", mode="infer_b1", calls=calls,
                  latency_ms_median=round(statistics.median(lat), 4),
                  latency_ms_p10=round(lat[int(0.1 * (calls - 1))], 4), latency_ms_p90=round(lat[int(0.9 * (calls - 1))], 4)))
        for _ in range(3):
            model(xb)
        bt = []
        for _ in range(bcalls):
            t = time.perf_counter()
            model(xb)
            bt.append(time.perf_counter() - t)
    emit(dict(info(), workload="W_sine", mode="infer_b256", calls=bcalls,
              batch_ms_median=round(1000 * statistics.median(bt), 3), spread_pct=round(spread(bt), 3),
              samples_per_s=round(B / statistics.median(bt), 3)))


def export_onnx():
    """The W_sine model with recurrent's weights as ONNX (opset 13, LSTM ops, dynamic batch) for ort_bench.mjs."""
    model, _ = check_parity("W_sine", opt["fixture"])
    model.eval()
    torch.onnx.export(model, data("W_sine", 2)[0], opt["out"], input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, opset_version=13)
    emit(dict(info(), workload="W_sine", mode="export_onnx", path=opt["out"]))


if __name__ == "__main__":
    if MODE == "export_onnx":
        export_onnx()
    else:
        require_openblas()
        train() if MODE == "train" else infer()
