# Keras file fixtures for test/interop/keras.test.ts, written without Keras (not installable here)
# from Keras's documented file layouts. Regenerate with:   /usr/bin/python3 scripts/keras_fixtures.py
#
# For every case it writes, into test/fixtures/keras/:
#   <case>.keras          Keras 3 archive: a zip of metadata.json, config.json, model.weights.h5
#   <case>.h5             legacy (tf.keras 2) HDF5 model: root attrs model_config, keras_version,
#                         backend; group model_weights/<layer>/<weight path>:0 with weight_names
#   <case>.expected.json  an input batch and the output an independent forward pass computes for it
# and a few broken files (bad_*.keras, bad_*.h5) the importer must refuse.
#
# Layout facts (from keras/src/saving/saving_lib.py, H5IOStore/H5Entry, and
# keras/src/legacy/saving/legacy_h5_format.py):
# - model.weights.h5: every saveable gets a group "<inner path>/vars"; the model's own is "/vars".
#   Layers tracked by a Sequential / Functional model live under "layers/<snake_case(class)>", with
#   "_1", "_2", ... for the second, third, ... layer of one class. A layer's variables are datasets
#   "0", "1", ... in creation order (Layer.save_own_variables). RNN layers keep theirs in their
#   cell ("layers/lstm/cell/vars/0"); Bidirectional in "forward_layer" and "backward_layer";
#   TimeDistributed in "layer". A compiled model also stores "optimizer/vars/...".
# - config.json: serialize_keras_object(model): {module, class_name, config, registered_name,
#   build_config, compile_config}; layers' configs are snake_case with dtype-policy and
#   initializer dicts. Functional layers carry "name" and "inbound_nodes" with __keras_tensor__
#   arguments whose keras_history is [layer, node, tensor].
# - legacy .h5: root attrs model_config (JSON, bytes), keras_version, backend, training_config;
#   model_weights.attrs["layer_names"]; each model_weights/<layer>.attrs["weight_names"] lists the
#   datasets (trainable then non-trainable) in the layer's weight order.
#
# Expected outputs come from numpy forward passes written from the Keras equations (float64 over
# the float32 weights). The LSTM, GRU (reset_after) and SimpleRNN recurrences are cross-checked
# against torch.nn.LSTM / nn.GRU / nn.RNN with the weights mapped (gate orders i,f,g,o and r,z,n).

import io
import json
import os
import re
import zipfile

import h5py
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "test", "fixtures", "keras")
KERAS_VERSION = "3.6.0"
LEGACY_VERSION = "2.15.0"
B, T, F = 3, 6, 3


def snake(name):
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# ---------------------------------------------------------------- numpy reference (Keras equations)

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


ACT = {"tanh": np.tanh, "sigmoid": sigmoid, "linear": lambda x: x, "relu": lambda x: np.maximum(x, 0),
       # tf.keras 2's hard_sigmoid (Keras 3 changed it to relu6(x + 3) / 6)
       "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)}


def run_rnn(kind, cfg, w, x):
    """x [B, T, I] float64; w = [kernel, recurrent_kernel, bias]; returns [B, H] or [B, T, H]."""
    H = cfg["units"]
    act = ACT[cfg.get("activation", "tanh")]
    ract = ACT[cfg.get("recurrent_activation", "sigmoid")]
    W, U, b = (np.asarray(a, dtype=np.float64) for a in w)
    seq = x[:, ::-1, :] if cfg.get("go_backwards") else x
    Bn = x.shape[0]
    h = np.zeros((Bn, H))
    c = np.zeros((Bn, H))
    outs = []
    for t in range(seq.shape[1]):
        xt = seq[:, t, :]
        if kind == "LSTM":
            z = xt @ W + h @ U + b
            i, f, cc, o = (z[:, k * H:(k + 1) * H] for k in range(4))
            c = ract(f) * c + ract(i) * act(cc)
            h = ract(o) * act(c)
        elif kind == "GRU" and cfg["reset_after"]:
            mx = xt @ W + b[0]
            mh = h @ U + b[1]
            z = ract(mx[:, :H] + mh[:, :H])
            r = ract(mx[:, H:2 * H] + mh[:, H:2 * H])
            hh = act(mx[:, 2 * H:] + r * mh[:, 2 * H:])
            h = z * h + (1 - z) * hh
        elif kind == "GRU":
            mx = xt @ W + b
            z = ract(mx[:, :H] + h @ U[:, :H])
            r = ract(mx[:, H:2 * H] + h @ U[:, H:2 * H])
            hh = act(mx[:, 2 * H:] + (r * h) @ U[:, 2 * H:])
            h = z * h + (1 - z) * hh
        elif kind == "SimpleRNN":
            h = act(xt @ W + h @ U + b)
        outs.append(h)
    if cfg.get("return_sequences"):
        return np.stack(outs, axis=1)
    return h


def torch_check(kind, cfg, w, x, ours):
    """The same recurrence through torch.nn.LSTM / nn.GRU (reset_after) / nn.RNN with mapped weights
    (torch has tanh and sigmoid only, and no reset-before GRU)."""
    if cfg.get("activation", "tanh") != "tanh" or cfg.get("recurrent_activation", "sigmoid") != "sigmoid":
        return
    H = cfg["units"]
    W, U, b = (torch.tensor(np.asarray(a, dtype=np.float64)) for a in w)
    I = W.shape[0]
    if kind == "LSTM":
        m = torch.nn.LSTM(I, H, batch_first=True).double()
        perm = [0, 1, 2, 3]
        bih, bhh = b, torch.zeros_like(b)
    elif kind == "GRU" and cfg["reset_after"]:
        m = torch.nn.GRU(I, H, batch_first=True).double()
        perm = [1, 0, 2]  # torch r, z, n  <-  keras z, r, h
        bih, bhh = b[0], b[1]
    elif kind == "SimpleRNN":
        m = torch.nn.RNN(I, H, batch_first=True).double()
        perm = [0]
        bih, bhh = b, torch.zeros_like(b)
    else:
        return
    def blocks(a):  # a [N, G*H] keras -> torch [G*H, N]
        return torch.cat([a[:, k * H:(k + 1) * H].T for k in perm], dim=0)
    def bblocks(v):
        return torch.cat([v[k * H:(k + 1) * H] for k in perm])
    with torch.no_grad():
        m.weight_ih_l0.copy_(blocks(W))
        m.weight_hh_l0.copy_(blocks(U))
        m.bias_ih_l0.copy_(bblocks(bih))
        m.bias_hh_l0.copy_(bblocks(bhh))
        seq = x[:, ::-1, :].copy() if cfg.get("go_backwards") else x
        y, _ = m(torch.tensor(seq))
    y = y.numpy()
    ref = y if cfg.get("return_sequences") else y[:, -1, :]
    err = np.max(np.abs(ref - ours))
    assert err < 1e-10, f"numpy {kind} disagrees with torch by {err}"


# ---------------------------------------------------------------- model description
# A layer: dict(cls, cfg, weights(list of float32 arrays) or for wrappers inner/forward/backward)

class Rand:
    def __init__(self, seed):
        self.r = np.random.default_rng(seed)

    def w(self, *shape, scale=0.5):
        return (self.r.standard_normal(shape) * scale).astype(np.float32)


def rnn_layer(cls, rnd, I, units, name, **kw):
    G = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[cls]
    cfg = {"units": units, "activation": "tanh", "return_sequences": False, "go_backwards": False}
    if cls != "SimpleRNN":
        cfg["recurrent_activation"] = "sigmoid"
    if cls == "GRU":
        cfg["reset_after"] = True
    cfg.update(kw)
    if cls == "GRU" and cfg["reset_after"]:
        bias = rnd.w(2, G * units)
    else:
        bias = rnd.w(G * units)
    weights = [rnd.w(I, G * units), rnd.w(units, G * units), bias]
    return {"cls": cls, "name": name, "cfg": cfg, "weights": weights}


def dense(rnd, I, units, name, activation="linear", use_bias=True):
    return {"cls": "Dense", "name": name, "cfg": {"units": units, "activation": activation, "use_bias": use_bias},
            "weights": [rnd.w(I, units), rnd.w(units)] if use_bias else [rnd.w(I, units)]}


def forward(layer, x):
    cls, cfg = layer["cls"], layer["cfg"]
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        y = run_rnn(cls, cfg, layer["weights"], x)
        torch_check(cls, cfg, layer["weights"], x, y)
        return y
    if cls == "Dense":
        W = np.asarray(layer["weights"][0], dtype=np.float64)
        b = np.asarray(layer["weights"][1], dtype=np.float64) if cfg["use_bias"] else 0.0
        return ACT[cfg["activation"]](x @ W + b)
    if cls == "Dropout":
        return x
    if cls == "Flatten":
        return x.reshape(x.shape[0], -1)
    if cls == "RepeatVector":
        return np.repeat(x[:, None, :], cfg["n"], axis=1)
    if cls == "Embedding":
        E = np.asarray(layer["weights"][0], dtype=np.float64)
        return E[x.astype(np.int64)]
    if cls == "TimeDistributed":
        Bn, Tn = x.shape[:2]
        y = forward(layer["inner"], x.reshape(Bn * Tn, *x.shape[2:]))
        return y.reshape(Bn, Tn, *y.shape[1:])
    if cls == "Bidirectional":
        yf = forward(layer["forward"], x)
        yb = forward(layer["backward"], x)
        if layer["forward"]["cfg"].get("return_sequences"):
            yb = yb[:, ::-1, :]
        mode = cfg["merge_mode"]
        return {"concat": lambda: np.concatenate([yf, yb], axis=-1), "sum": lambda: yf + yb,
                "ave": lambda: (yf + yb) / 2, "mul": lambda: yf * yb}[mode]()
    if cls == "Conv1D":
        return conv1d_forward(cfg, layer["weights"], x)
    if cls == "MaxPooling1D":
        return pool1d_forward(cfg, x, np.max)
    if cls == "AveragePooling1D":
        return pool1d_forward(cfg, x, np.mean)
    if cls == "GlobalAveragePooling1D":
        return x.mean(axis=1)
    if cls == "GlobalMaxPooling1D":
        return x.max(axis=1)
    raise ValueError(cls)


def geometry1d(L, window, stride, padding):
    """(output steps, left padding) of a 1-D window over L steps, as Keras (TF SAME: floor(total/2) left)."""
    if padding == "valid":
        return (L - window) // stride + 1, 0
    if padding == "same":
        out = -(-L // stride)
        return out, max((out - 1) * stride + window - L, 0) // 2
    if padding == "causal":
        return (L - 1) // stride + 1, window - 1
    raise ValueError(padding)


def conv1d_forward(cfg, w, x):
    """Keras Conv1D, channels_last: y[t] = act(sum_j x[t*s + j*d - padLeft] @ kernel[j] + bias), zeros outside."""
    k, s, d = cfg["kernel_size"], cfg["strides"], cfg["dilation_rate"]
    K = np.asarray(w[0], dtype=np.float64)
    Bn, L, _ = x.shape
    window = (k - 1) * d + 1
    out, pl = geometry1d(L, window, s, cfg["padding"])
    xp = np.zeros((Bn, pl + max(L, (out - 1) * s + window), x.shape[2]))
    xp[:, pl:pl + L, :] = x
    y = np.zeros((Bn, out, K.shape[2]))
    for t in range(out):
        for j in range(k):
            y[:, t, :] += xp[:, t * s + j * d, :] @ K[j]
    if cfg["use_bias"]:
        y += np.asarray(w[1], dtype=np.float64)
    # the same convolution through torch (channels first, explicit zero padding)
    ref = torch.nn.functional.conv1d(torch.tensor(xp[:, :(out - 1) * s + window, :]).permute(0, 2, 1),
                                     torch.tensor(K).permute(2, 1, 0), stride=s, dilation=d).permute(0, 2, 1).numpy()
    if cfg["use_bias"]:
        ref = ref + np.asarray(w[1], dtype=np.float64)
    err = np.max(np.abs(ref - y))
    assert err < 1e-10, f"numpy Conv1D disagrees with torch by {err}"
    return ACT[cfg["activation"]](y)


def pool1d_forward(cfg, x, reduce):
    """Keras MaxPooling1D / AveragePooling1D: over the real entries of each window (padding never counts)."""
    p, s = cfg["pool_size"], cfg["strides"] or cfg["pool_size"]
    L = x.shape[1]
    out, pl = geometry1d(L, p, s, cfg["padding"])
    y = np.stack([reduce(x[:, max(t * s - pl, 0):min(t * s - pl + p, L), :], axis=1) for t in range(out)], axis=1)
    # torch: average without the padding (count_include_pad=False), max over -inf padding
    pr = max((out - 1) * s + p - L - pl, 0)
    xt = torch.tensor(x).permute(0, 2, 1)
    if reduce is np.mean:
        xt = torch.nn.functional.pad(xt, (pl, pr))
        ones = torch.nn.functional.pad(torch.ones_like(torch.tensor(x).permute(0, 2, 1)), (pl, pr))
        ref = (torch.nn.functional.avg_pool1d(xt, p, s) / torch.nn.functional.avg_pool1d(ones, p, s))
    else:
        ref = torch.nn.functional.max_pool1d(torch.nn.functional.pad(xt, (pl, pr), value=-np.inf), p, s)
    err = np.max(np.abs(ref.permute(0, 2, 1).numpy()[:, :out, :] - y))
    assert err < 1e-10, f"numpy pooling disagrees with torch by {err}"
    return y


def conv1d(rnd, I, filters, name, kernel_size, strides=1, padding="valid", dilation_rate=1, activation="linear", use_bias=True):
    cfg = {"filters": filters, "kernel_size": kernel_size, "strides": strides, "padding": padding,
           "dilation_rate": dilation_rate, "activation": activation, "use_bias": use_bias}
    weights = [rnd.w(kernel_size, I, filters)] + ([rnd.w(filters)] if use_bias else [])
    return {"cls": "Conv1D", "name": name, "cfg": cfg, "weights": weights}


def pool1d(cls, name, pool_size=2, strides=None, padding="valid"):
    return {"cls": cls, "name": name, "cfg": {"pool_size": pool_size, "strides": strides, "padding": padding}}


def bidirectional(rnd, cls, I, units, name, merge_mode, **kw):
    fwd = rnn_layer(cls, rnd, I, units, "forward_" + kw.pop("inner_name"), **kw)
    bwd = rnn_layer(cls, rnd, I, units, "backward_" + fwd["name"][len("forward_"):], go_backwards=True, **kw)
    return {"cls": "Bidirectional", "name": name, "cfg": {"merge_mode": merge_mode}, "forward": fwd, "backward": bwd}


# ---------------------------------------------------------------- Keras 3 config.json

def policy():
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def init3(cls, **config):
    return {"module": "keras.initializers", "class_name": cls, "config": config, "registered_name": None}


def k3_layer_config(layer, input_shape):
    cls, cfg = layer["cls"], layer["cfg"]
    base = {"name": layer["name"], "trainable": True, "dtype": policy()}
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        c = dict(base, return_sequences=cfg.get("return_sequences", False), return_state=False,
                 go_backwards=cfg.get("go_backwards", False), stateful=False, unroll=False,
                 zero_output_for_mask=False, units=cfg["units"], activation=cfg["activation"])
        if cls != "SimpleRNN":
            c["recurrent_activation"] = cfg["recurrent_activation"]
        c.update(use_bias=True, kernel_initializer=init3("GlorotUniform", seed=None),
                 recurrent_initializer=init3("Orthogonal", gain=1.0, seed=None),
                 bias_initializer=init3("Zeros"))
        if cls == "LSTM":
            c["unit_forget_bias"] = True
        c.update(kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None)
        if cls == "GRU":
            c["reset_after"] = cfg["reset_after"]
        return c
    if cls == "Dense":
        return dict(base, units=cfg["units"], activation=cfg["activation"], use_bias=cfg["use_bias"],
                    kernel_initializer=init3("GlorotUniform", seed=None), bias_initializer=init3("Zeros"),
                    kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None, bias_constraint=None)
    if cls == "Dropout":
        return dict(base, rate=cfg["rate"], seed=None, noise_shape=None)
    if cls == "Flatten":
        return dict(base, data_format="channels_last")
    if cls == "RepeatVector":
        return dict(base, n=cfg["n"])
    if cls == "Embedding":
        return dict(base, input_dim=cfg["input_dim"], output_dim=cfg["output_dim"],
                    embeddings_initializer=init3("RandomUniform", minval=-0.05, maxval=0.05, seed=None),
                    embeddings_regularizer=None, activity_regularizer=None, embeddings_constraint=None,
                    mask_zero=False)
    if cls == "Conv1D":
        return dict(base, filters=cfg["filters"], kernel_size=[cfg["kernel_size"]], strides=[cfg["strides"]],
                    padding=cfg["padding"], data_format="channels_last", dilation_rate=[cfg["dilation_rate"]],
                    groups=1, activation=cfg["activation"], use_bias=cfg["use_bias"],
                    kernel_initializer=init3("GlorotUniform", seed=None), bias_initializer=init3("Zeros"),
                    kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                    kernel_constraint=None, bias_constraint=None)
    if cls in ("MaxPooling1D", "AveragePooling1D"):
        # Keras keeps strides=None as pool_size in the layer, so configs hold the list
        return dict(base, pool_size=[cfg["pool_size"]], padding=cfg["padding"],
                    strides=[cfg["strides"] or cfg["pool_size"]], data_format="channels_last")
    if cls in ("GlobalAveragePooling1D", "GlobalMaxPooling1D"):
        return dict(base, data_format="channels_last", keepdims=False)
    if cls == "TimeDistributed":
        inner = layer["inner"]
        return dict(base, layer=k3_entry(inner, [input_shape[0]] + input_shape[2:], with_build=True))
    if cls == "Bidirectional":
        return dict(base, merge_mode=cfg["merge_mode"], layer=k3_entry(layer["forward"], input_shape, True),
                    backward_layer=k3_entry(layer["backward"], input_shape, True))
    raise ValueError(cls)


def k3_entry(layer, input_shape, with_build=True):
    e = {"module": "keras.layers", "class_name": layer["cls"], "config": k3_layer_config(layer, input_shape),
         "registered_name": None}
    if with_build:
        e["build_config"] = {"input_shape": input_shape}
    return e


def k3_input(name, batch_shape, dtype="float32"):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": batch_shape, "dtype": dtype, "sparse": False, "name": name},
            "registered_name": None}


def shapes(layers, batch_shape, given=None):
    """Per-layer input shapes (with None batch)."""
    if given is not None:
        return given
    out = []
    x = np.zeros([2] + batch_shape[1:], dtype=np.float64)
    for l in layers:
        out.append([None] + list(x.shape[1:]))
        x = forward(l, x) if l["cls"] != "Embedding" else forward(l, np.zeros(x.shape))
    return out


def compile_config():
    return {"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
                          "config": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
                                     "epsilon": 1e-07, "amsgrad": False}, "registered_name": None},
            "loss": "mse", "loss_weights": None, "metrics": None, "weighted_metrics": None,
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def k3_config(case, model):
    layers, batch_shape = model["layers"], model["batch_shape"]
    in_shapes = shapes(layers, batch_shape, model.get("shapes"))
    dtype = model.get("input_dtype", "float32")
    if model["kind"] == "Sequential":
        entries = [k3_input("input_layer", batch_shape, dtype)]
        entries += [k3_entry(l, s) for l, s in zip(layers, in_shapes)]
        return {"module": "keras", "class_name": "Sequential",
                "config": {"name": "sequential", "trainable": True, "dtype": policy(), "layers": entries,
                           "build_input_shape": batch_shape},
                "registered_name": None, "build_config": {"input_shape": batch_shape},
                "compile_config": compile_config()}
    # Functional: a chain (or, for the refusal case, whatever inbound map the model gives)
    entries = [dict(k3_input("input_layer", batch_shape, dtype), name="input_layer", inbound_nodes=[])]
    inbound = model.get("inbound") or {}
    prev = "input_layer"
    for l, s in zip(layers, in_shapes):
        srcs = inbound.get(l["name"], [prev])
        args = [{"class_name": "__keras_tensor__",
                 "config": {"shape": s, "dtype": "float32", "keras_history": [src, 0, 0]}} for src in srcs]
        node = {"args": args if len(args) == 1 else [args], "kwargs": {} if l["cls"] == "Add" else {"training": False}}
        e = k3_entry(l, s) if l["cls"] != "Add" else {
            "module": "keras.layers", "class_name": "Add", "config": {"name": l["name"], "trainable": True, "dtype": policy()},
            "registered_name": None, "build_config": {"input_shape": [s, s]}}
        e["name"] = l["name"]
        e["inbound_nodes"] = [node]
        entries.append(e)
        prev = l["name"]
    return {"module": "keras", "class_name": "Functional",
            "config": {"name": "functional", "trainable": True, "layers": entries,
                       "input_layers": [["input_layer", 0, 0]], "output_layers": [[model.get("output", prev), 0, 0]]},
            "registered_name": "Functional", "build_config": {"input_shape": None},
            "compile_config": compile_config()}


# ---------------------------------------------------------------- Keras 3 model.weights.h5

def k3_save_layer(f, path, layer):
    """The groups _save_state creates for one layer at `path`."""
    cls = layer["cls"]
    f.create_group(path + "/vars")
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        g = f.create_group(path + "/cell/vars")
        for i, w in enumerate(layer["weights"]):
            g[str(i)] = w
    elif cls == "Bidirectional":
        k3_save_layer(f, path + "/backward_layer", layer["backward"])
        k3_save_layer(f, path + "/forward_layer", layer["forward"])
    elif cls == "TimeDistributed":
        k3_save_layer(f, path + "/layer", layer["inner"])
    else:
        g = f[path + "/vars"]
        for i, w in enumerate(layer.get("weights", [])):
            g[str(i)] = w


def k3_weights(model, optimizer=True, root="layers"):
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        f.create_group("vars")
        used = {}
        entries = list(model["layers"])
        if model["kind"] == "Functional":
            entries = [{"cls": "InputLayer", "name": "input_layer"}] + entries
        for l in entries:
            n = snake(l["cls"])
            if n in used:
                used[n] += 1
                n = f"{n}_{used[n]}"
            else:
                used[n] = 0
            k3_save_layer(f, f"{root}/{n}", l)
        if optimizer:
            g = f.create_group("optimizer/vars")
            g["0"] = np.array(10, dtype=np.int64)  # iterations
            g["1"] = np.array(0.001, dtype=np.float32)  # learning rate
    return buf.getvalue()


def write_keras(path, config, weights_h5, extra=None, version=KERAS_VERSION):
    meta = {"keras_version": version, "date_saved": "2025-01-15@10:00:00"}
    files = {"metadata.json": json.dumps(meta), "config.json": json.dumps(config), "model.weights.h5": weights_h5}
    files.update(extra or {})
    with zipfile.ZipFile(path, "w") as zf:
        for k, v in files.items():
            # a fixed time stamp keeps regenerated archives byte-identical
            zf.writestr(zipfile.ZipInfo(k, date_time=(2025, 1, 15, 10, 0, 0)), v)


# ---------------------------------------------------------------- legacy (tf.keras 2) .h5

def init2(cls, **config):
    return {"class_name": cls, "config": config}


def k2_layer_config(layer, first_batch_shape=None):
    c = k3_layer_config(layer, None) if layer["cls"] not in ("TimeDistributed", "Bidirectional") else None
    cls = layer["cls"]
    if c is not None:
        c["dtype"] = "float32"
        for k, v in list(c.items()):
            if isinstance(v, dict) and v.get("module") == "keras.initializers":
                c[k] = init2(v["class_name"], **v["config"])
        for k in ("zero_output_for_mask", "seed"):
            c.pop(k, None)
        if cls in ("LSTM", "GRU", "SimpleRNN"):
            c["time_major"] = False
            if cls != "SimpleRNN":
                c["implementation"] = 2
        if cls == "Embedding":
            c["input_length"] = None
    elif cls == "TimeDistributed":
        c = {"name": layer["name"], "trainable": True, "dtype": "float32",
             "layer": {"class_name": layer["inner"]["cls"], "config": k2_layer_config(layer["inner"])}}
    else:
        c = {"name": layer["name"], "trainable": True, "dtype": "float32",
             "layer": {"class_name": layer["forward"]["cls"], "config": k2_layer_config(layer["forward"])},
             "merge_mode": layer["cfg"]["merge_mode"]}
        c["layer"]["config"]["name"] = layer["forward"]["name"][len("forward_"):]
    if first_batch_shape is not None:
        c["batch_input_shape"] = first_batch_shape
    return c


def k2_weight_names(layer, scope):
    """tf.keras 2 variable names of a layer, in weight order."""
    cls = layer["cls"]
    if cls in ("LSTM", "GRU", "SimpleRNN"):
        cell = snake(cls) + "_cell"
        return [f"{scope}/{cell}/{n}:0" for n in ("kernel", "recurrent_kernel", "bias")], layer["weights"]
    if cls in ("Dense", "Conv1D"):
        return [f"{scope}/kernel:0", f"{scope}/bias:0"][:len(layer["weights"])], layer["weights"]
    if cls == "Embedding":
        return [f"{scope}/embeddings:0"], layer["weights"]
    if cls == "TimeDistributed":
        return k2_weight_names(layer["inner"], scope)
    if cls == "Bidirectional":
        fn, fw = k2_weight_names(layer["forward"], f"{scope}/{layer['forward']['name']}")
        bn, bw = k2_weight_names(layer["backward"], f"{scope}/{layer['backward']['name']}")
        return fn + bn, fw + bw
    return [], []


def k2_config(model):
    layers, batch_shape = model["layers"], model["batch_shape"]
    dtype = model.get("input_dtype", "float32")
    inp = {"class_name": "InputLayer", "config": {"batch_input_shape": batch_shape, "dtype": dtype,
                                                   "sparse": False, "ragged": False, "name": "input_1"}}
    if model["kind"] == "Sequential":
        return {"class_name": "Sequential",
                "config": {"name": "sequential", "layers": [inp] + [{"class_name": l["cls"], "config": k2_layer_config(l)} for l in layers]}}
    entries = [dict(inp, name="input_1", inbound_nodes=[])]
    prev = "input_1"
    for l in layers:
        entries.append({"class_name": l["cls"], "config": k2_layer_config(l), "name": l["name"],
                        "inbound_nodes": [[[prev, 0, 0, {}]]]})
        prev = l["name"]
    return {"class_name": "Functional",
            "config": {"name": "model", "layers": entries, "input_layers": [["input_1", 0, 0]],
                       "output_layers": [[prev, 0, 0]]}}


def write_h5(path, model, drop_weight=None):
    with h5py.File(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = LEGACY_VERSION
        f.attrs["model_config"] = json.dumps(k2_config(model)).encode("utf8")
        f.attrs["training_config"] = json.dumps({"loss": "mse", "metrics": None, "weighted_metrics": None,
                                                 "loss_weights": None, "optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001}}}).encode("utf8")
        g = f.create_group("model_weights")
        names = ([] if model["kind"] == "Sequential" else ["input_1"]) + [l["name"] for l in model["layers"]]
        g.attrs["layer_names"] = [n.encode("utf8") for n in names]
        g.attrs["backend"] = b"tensorflow"
        g.attrs["keras_version"] = LEGACY_VERSION.encode("utf8")
        by_name = {l["name"]: l for l in model["layers"]}
        for n in sorted(names):
            lg = g.create_group(n)
            if n not in by_name:
                lg.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            wn, ws = k2_weight_names(by_name[n], n)
            lg.attrs["weight_names"] = [s.encode("utf8") for s in wn]
            for s, w in zip(wn, ws):
                if s == drop_weight:
                    continue
                lg.create_dataset(s, data=w)
        og = f.create_group("optimizer_weights")
        og.attrs["weight_names"] = [b"Adam/iter:0"]
        og.create_dataset("Adam/iter:0", data=np.array(10, dtype=np.int64))


# ---------------------------------------------------------------- cases

def cases():
    out = {}

    r = Rand(1)
    out["lstm_dense"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                         "layers": [rnn_layer("LSTM", r, F, 5, "lstm"), dense(r, 5, 2, "dense")]}

    r = Rand(2)
    out["stacked_lstm"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                           "layers": [rnn_layer("LSTM", r, F, 4, "lstm", return_sequences=True),
                                      rnn_layer("LSTM", r, 4, 3, "lstm_1"), dense(r, 3, 1, "dense")]}

    r = Rand(3)
    out["gru_reset_after"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                              "layers": [rnn_layer("GRU", r, F, 4, "gru", reset_after=True), dense(r, 4, 2, "dense")]}

    r = Rand(4)
    out["gru_reset_before"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                               "layers": [rnn_layer("GRU", r, F, 4, "gru", reset_after=False), dense(r, 4, 2, "dense")]}

    r = Rand(5)
    out["simple_rnn"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                         "layers": [rnn_layer("SimpleRNN", r, F, 5, "simple_rnn"),
                                    {"cls": "Dropout", "name": "dropout", "cfg": {"rate": 0.25}},
                                    dense(r, 5, 1, "dense")]}

    r = Rand(6)
    out["bidirectional_lstm"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                                 "layers": [bidirectional(r, "LSTM", F, 3, "bidirectional", "concat", inner_name="lstm", return_sequences=True),
                                            bidirectional(r, "GRU", 6, 2, "bidirectional_1", "ave", inner_name="gru", return_sequences=True),
                                            {"cls": "Flatten", "name": "flatten", "cfg": {}},
                                            dense(r, T * 2, 2, "dense")]}

    r = Rand(7)
    out["encoder_decoder"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                              "layers": [rnn_layer("LSTM", r, F, 4, "lstm"),
                                         {"cls": "RepeatVector", "name": "repeat_vector", "cfg": {"n": 3}},
                                         rnn_layer("LSTM", r, 4, 4, "lstm_1", return_sequences=True),
                                         {"cls": "TimeDistributed", "name": "time_distributed", "cfg": {},
                                          "inner": dense(r, 4, 2, "dense")}]}

    r = Rand(8)
    out["embedding_lstm"] = {"kind": "Sequential", "batch_shape": [None, T], "input_dtype": "int32",
                             "layers": [{"cls": "Embedding", "name": "embedding", "cfg": {"input_dim": 10, "output_dim": 4},
                                         "weights": [r.w(10, 4)]},
                                        rnn_layer("LSTM", r, 4, 3, "lstm"), dense(r, 3, 1, "dense", "sigmoid")]}

    r = Rand(9)
    out["functional_chain"] = {"kind": "Functional", "batch_shape": [None, T, F],
                               "layers": [rnn_layer("GRU", r, F, 4, "gru", return_sequences=True),
                                          rnn_layer("LSTM", r, 4, 4, "lstm"),
                                          dense(r, 4, 3, "dense", "relu"), dense(r, 3, 1, "dense_1")]}
    r = Rand(12)
    out["bidirectional_simple_rnn_mul"] = {"kind": "Sequential", "batch_shape": [None, T, F],
                                           "layers": [bidirectional(r, "SimpleRNN", F, 3, "bidirectional", "mul", inner_name="simple_rnn"),
                                                      dense(r, 3, 1, "dense", use_bias=False)]}

    # tf.keras 2 only: hard_sigmoid is 0.2x + 0.5 there (Keras 3 computes another function, and the
    # importer refuses it in .keras files). Legacy .h5 only.
    r = Rand(11)
    out["legacy_hard_sigmoid"] = {"kind": "Sequential", "batch_shape": [None, T, F], "legacy_only": True,
                                  "layers": [bidirectional(r, "GRU", F, 3, "bidirectional", "sum", inner_name="gru",
                                                           reset_after=False, recurrent_activation="hard_sigmoid"),
                                             dense(r, 3, 1, "dense")]}

    # Convolution and pooling over time, on longer sequences ("steps").
    r = Rand(13)
    out["cnn_lstm"] = {"kind": "Sequential", "batch_shape": [None, 12, F], "steps": 12,
                       "layers": [conv1d(r, F, 4, "conv1d", 3, padding="causal", dilation_rate=2, activation="relu"),
                                  pool1d("MaxPooling1D", "max_pooling1d", 2),
                                  rnn_layer("LSTM", r, 4, 3, "lstm"), dense(r, 3, 1, "dense")]}

    # kernel 4, stride 2 over 11 steps: "same" pads 1 left and 2 right; the average pool's last
    # window (pool 3, stride 2 over 6 steps) holds 2 real entries.
    r = Rand(14)
    out["conv1d_same_global_average"] = {"kind": "Sequential", "batch_shape": [None, 11, F], "steps": 11,
                                         "layers": [conv1d(r, F, 5, "conv1d", 4, strides=2, padding="same", activation="tanh"),
                                                    pool1d("AveragePooling1D", "average_pooling1d", 3, 2, "same"),
                                                    {"cls": "GlobalAveragePooling1D", "name": "global_average_pooling1d", "cfg": {}},
                                                    dense(r, 5, 2, "dense")]}

    r = Rand(15)
    out["conv1d_same_global_max"] = {"kind": "Sequential", "batch_shape": [None, 11, F], "steps": 11,
                                     "layers": [conv1d(r, F, 5, "conv1d", 4, strides=2, padding="same", use_bias=False),
                                                pool1d("AveragePooling1D", "average_pooling1d", 3, 2, "same"),
                                                {"cls": "GlobalMaxPooling1D", "name": "global_max_pooling1d", "cfg": {}},
                                                dense(r, 5, 2, "dense")]}
    return out


def predict(model, x):
    y = x
    for l in model["layers"]:
        y = forward(l, y)
    return y


def tensor(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2024)
    all_cases = cases()
    for name, model in all_cases.items():
        if model.get("input_dtype") == "int32":
            x = rng.integers(0, 10, size=(B, T)).astype(np.float64)
        else:
            x = rng.standard_normal((B, model.get("steps", T), F)).astype(np.float32).astype(np.float64)
        y = predict(model, x)
        if not model.get("legacy_only"):
            write_keras(os.path.join(OUT, f"{name}.keras"), k3_config(name, model), k3_weights(model))
        write_h5(os.path.join(OUT, f"{name}.h5"), model)
        with open(os.path.join(OUT, f"{name}.expected.json"), "w") as f:
            json.dump({"x": tensor(x), "y": tensor(y)}, f)
        print(f"{name}: output {list(y.shape)}")

    # Keras 2.13-2.15 wrote .keras archives whose layers sit under "_layer_checkpoint_dependencies"
    # instead of "layers" (the compatibility branch of Keras 3's H5Entry reads them that way).
    base = all_cases["lstm_dense"]
    write_keras(os.path.join(OUT, "lstm_dense_keras213.keras"), k3_config("lstm_dense", base),
                k3_weights(base, root="_layer_checkpoint_dependencies"), version="2.13.1")

    # ---- files the importer must refuse
    cfg = k3_config("lstm_dense", base)
    good_h5 = k3_weights(base)

    unknown = json.loads(json.dumps(cfg))
    unknown["config"]["layers"][1]["class_name"] = "ConvLSTM1D"
    write_keras(os.path.join(OUT, "bad_unknown_layer.keras"), unknown, good_h5)

    def edited_h5(edit):
        buf = io.BytesIO(good_h5)
        with h5py.File(buf, "r+") as f:
            edit(f)
        return buf.getvalue()

    write_keras(os.path.join(OUT, "bad_missing_weight.keras"), cfg,
                edited_h5(lambda f: f["layers/lstm/cell/vars"].__delitem__("1")))

    def wrong_shape(f):
        g = f["layers/dense/vars"]
        del g["0"]
        g["0"] = np.zeros((4, 2), dtype=np.float32)  # kernel should be [5, 2]
    write_keras(os.path.join(OUT, "bad_wrong_shape.keras"), cfg, edited_h5(wrong_shape))

    write_keras(os.path.join(OUT, "bad_not_hdf5.keras"), cfg, b"these are not the weights you are looking for\n" * 8)

    r = Rand(10)
    branch = {"kind": "Functional", "batch_shape": [None, T, F],
              "layers": [rnn_layer("LSTM", r, F, 4, "lstm"), rnn_layer("GRU", r, F, 4, "gru"),
                         {"cls": "Add", "name": "add", "cfg": {}}, dense(r, 4, 1, "dense")],
              "inbound": {"lstm": ["input_layer"], "gru": ["input_layer"], "add": ["lstm", "gru"]},
              "shapes": [[None, T, F], [None, T, F], [None, 4], [None, 4]], "output": "dense"}
    write_keras(os.path.join(OUT, "bad_branching.keras"), k3_config("branch", branch), k3_weights(branch))

    write_h5(os.path.join(OUT, "bad_missing_weight.h5"), base, drop_weight="lstm/lstm_cell/recurrent_kernel:0")


if __name__ == "__main__":
    main()
