# PyTorch safetensors fixtures for test/interop/safetensors.test.ts: small torch modules (nn.LSTM +
# nn.Linear, nn.GRU, bidirectional nn.LSTM, stacked nn.RNN, nn.Embedding + nn.GRU + nn.Linear) saved
# as test/fixtures/safetensors/<case>.safetensors, beside <case>.json with an input and torch's output.
# Regenerate with:   /usr/bin/python3 scripts/torch_safetensors_fixtures.py
#
# The `safetensors` package is not installed with Debian's PyTorch, so the file is written here by
# hand, as safetensors.torch.save_file writes it: an 8-byte little-endian header length, a JSON
# header {name: {dtype, shape, data_offsets}, "__metadata__": {"format": "pt"}} padded with spaces
# to a multiple of 8, then the tensors back to back. Cases stored in F16, BF16 or F64 round the
# weights to that dtype first and run torch on the rounded weights, so the file holds exactly the
# weights torch computed with.

import json
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "test", "fixtures", "safetensors")
B, T = 3, 6

DTYPES = {
    "F32": (torch.float32, "<f4"),
    "F64": (torch.float64, "<f8"),
    "F16": (torch.float16, "<f2"),
}


def tensor_bytes(t, dtype):
    t = t.detach().contiguous()
    if dtype == "BF16":
        return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()
    torch_dtype, np_dtype = DTYPES[dtype]
    return t.to(torch_dtype).numpy().astype(np_dtype).tobytes()


def save_safetensors(state_dict, path, dtype):
    """safetensors.torch.save_file, by hand: tensors sorted by name, every one in `dtype`."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name in sorted(state_dict):
        b = tensor_bytes(state_dict[name], dtype)
        header[name] = {"dtype": dtype, "shape": list(state_dict[name].shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def round_to(module, dtype):
    """Round every parameter to the stored dtype (kept in float32 or float64 for the forward pass)."""
    with torch.no_grad():
        for p in module.parameters():
            if dtype == "BF16":
                p.copy_(p.to(torch.bfloat16).to(p.dtype))
            elif dtype == "F16":
                p.copy_(p.to(torch.float16).to(p.dtype))


def dump(t, digits):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(f"{v:.{digits}g}") for v in t.reshape(-1).tolist()]}


class LstmLinear(torch.nn.Module):
    """nn.LSTM then nn.Linear on the last step: recurrent's [lstm(units 5), dense(2)]."""

    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(3, 5, batch_first=True)
        self.fc = torch.nn.Linear(5, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class Seq(torch.nn.Module):
    """One recurrent module, its whole output sequence."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


class EmbedGru(torch.nn.Module):
    """nn.Embedding → nn.GRU → nn.Linear on every step: [embedding, gru(returnSequences), timeDistributed(dense)]."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10, 3)
        self.gru = torch.nn.GRU(3, 4, batch_first=True)
        self.head = torch.nn.Linear(4, 2)

    def forward(self, ids):
        return self.head(self.gru(self.embed(ids))[0])


# name, module factory, input features (None: token ids), stored dtype, about the recurrent model
CASES = [
    ("lstm_linear", LstmLinear, 3, "F32", "lstm(units 5) → dense(2)"),
    ("gru", lambda: Seq(torch.nn.GRU(3, 4, batch_first=True)), 3, "F32", "gru(units 4, returnSequences, resetAfter)"),
    ("bilstm", lambda: Seq(torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True)), 3, "F32",
     "bidirectional(lstm(units 4, returnSequences)), concat"),
    ("rnn_stack2", lambda: Seq(torch.nn.RNN(3, 4, num_layers=2, batch_first=True)), 3, "F32",
     "simpleRnn(4, returnSequences) → simpleRnn(4, returnSequences)"),
    ("gru_f64", lambda: Seq(torch.nn.GRU(3, 4, batch_first=True)), 3, "F64", "gru(units 4, returnSequences, resetAfter); stored F64"),
    ("lstm_linear_bf16", LstmLinear, 3, "BF16", "lstm(units 5) → dense(2); stored BF16"),
    ("embed_gru_f16", EmbedGru, None, "F16", "embedding(10, 3) → gru(4, returnSequences) → timeDistributed(dense(2)); stored F16"),
]


def make_case(name, factory, features, dtype, about, seed):
    torch.manual_seed(seed)
    m = factory()
    compute = torch.float64 if dtype == "F64" else torch.float32
    m = m.to(compute)
    round_to(m, dtype)
    if features is None:
        x = torch.randint(0, 10, (B, T))
        x_json = {"shape": [B, T], "data": [float(v) for v in x.reshape(-1).tolist()]}
    else:
        x = torch.randn(B, T, features, dtype=compute)
        x = torch.tensor([float(f"{v:.8g}") for v in x.reshape(-1).tolist()], dtype=compute).reshape(B, T, features)
        x_json = dump(x, 8)
    with torch.no_grad():
        y = m(x)
    save_safetensors(m.state_dict(), os.path.join(OUT_DIR, f"{name}.safetensors"), dtype)
    fixture = {
        "about": "Generated by /usr/bin/python3 scripts/torch_safetensors_fixtures.py; do not edit.",
        "torch": torch.__version__,
        "model": about,
        "dtype": dtype,
        "keys": list(m.state_dict().keys()),
        "input": x_json,
        "output": dump(y, 9),
    }
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    size = os.path.getsize(os.path.join(OUT_DIR, f"{name}.safetensors"))
    print(f"wrote {name}.safetensors ({size} bytes) and {name}.json")


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for k, case in enumerate(CASES):
        make_case(*case, seed=20 + k)


if __name__ == "__main__":
    main()
