# PyTorch parity fixtures for test/parity/attention_torch.test.ts: outputs, attention weights and
# every gradient of Keras 3's Attention and AdditiveAttention, written from Keras's formulas
# (keras/src/layers/attention/attention.py and additive_attention.py) with torch ops and autograd.
# Regenerate with:   /usr/bin/python3 scripts/attention_fixtures.py
#
#   scores  dot:      s * q @ k^T                           (s = scale if use_scale else 1)
#           concat:   c * sum_d tanh(s * (q_d + k_d))       (c = concat_score_weight)
#           additive: sum_d w_d * tanh(q_d + k_d)           (w = scale [dim] if use_scale else 1)
#   mask    scores -= 1e9 * (1 - value_mask [and causal j <= i])
#   weights softmax over the value steps; output = weights @ value, times the query mask
#
# The loss is L = sum(output * R) + sum(weights * Ra) with R, Ra fixed random tensors, so the test
# feeds R and Ra as the gradients of the two outputs. Without a key the value is passed as both,
# and autograd sums the value's two gradients. Everything runs in float64; inputs and weights are
# rounded to 8 significant digits *before* the forward pass, so the file holds exactly the numbers
# computed with. No row is masked throughout (Keras's float32 and this float64 differ there).

import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "test", "fixtures", "attention")
DIGITS = 8
B, TQ, TV, D = 2, 4, 5, 3

# name, layer, options, with key, value width, masks, causal, seed
CASES = [
    ("dot", "attention", {}, False, D, False, False, 1),
    ("dot_scale_key_masks", "attention", {"useScale": True}, True, 4, True, False, 2),
    ("dot_scale_causal", "attention", {"useScale": True}, False, D, True, True, 3),
    ("concat", "attention", {"scoreMode": "concat"}, False, D, False, False, 4),
    ("concat_scale_key_causal", "attention", {"scoreMode": "concat", "useScale": True}, True, 2, True, True, 5),
    ("additive", "additiveAttention", {}, False, D, False, False, 6),
    ("additive_key_masks", "additiveAttention", {}, True, 4, True, False, 7),
    ("additive_noscale_causal", "additiveAttention", {"useScale": False}, False, D, True, True, 8),
]

# sample 0: every query step real, value steps 0..3 real; sample 1: query steps 0..2, value steps 0, 2..4
Q_MASK = [[1, 1, 1, 1], [1, 1, 1, 0]]
V_MASK = [[1, 1, 1, 1, 0], [1, 0, 1, 1, 1]]


def rounded(t):
    flat = [float(f"{v:.{DIGITS}g}") for v in t.detach().reshape(-1).tolist()]
    return torch.tensor(flat, dtype=torch.float64).reshape(t.shape)


def dump(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(f"{v:.{DIGITS}g}") for v in t.reshape(-1).tolist()]}


def weights_for(layer, opts):
    """Keras's weights in its order, as (name, tensor)."""
    use_scale = opts.get("useScale", layer == "additiveAttention")
    ws = []
    if layer == "attention":
        if use_scale:
            ws.append(("scale", rounded(torch.empty(()).uniform_(0.5, 1.5))))
        if opts.get("scoreMode", "dot") == "concat":
            ws.append(("concat_score_weight", rounded(torch.empty(()).uniform_(0.5, 1.5))))
    elif use_scale:
        lim = (6.0 / (2 * D)) ** 0.5  # glorot-uniform with fan-in = fan-out = dim
        ws.append(("scale", rounded(torch.empty(D).uniform_(-lim, lim))))
    return ws


def scores_of(layer, opts, w, q, k):
    qe, ke = q.unsqueeze(-2), k.unsqueeze(-3)  # [B, Tq, 1, D], [B, 1, Tv, D]
    if layer == "additiveAttention":
        scale = w["scale"] if "scale" in w else 1.0
        return (scale * torch.tanh(qe + ke)).sum(-1)
    s = w["scale"] if "scale" in w else 1.0
    if opts.get("scoreMode", "dot") == "dot":
        return s * (q @ k.transpose(1, 2))
    return w["concat_score_weight"] * torch.tanh(s * (qe + ke)).sum(-1)


def make_case(name, layer, opts, with_key, dv, masks, causal, seed):
    torch.manual_seed(seed)
    q = rounded(torch.randn(B, TQ, D)).requires_grad_(True)
    v = rounded(torch.randn(B, TV, dv)).requires_grad_(True)
    k = rounded(torch.randn(B, TV, D)).requires_grad_(True) if with_key else None
    ws = weights_for(layer, opts)
    for _, t in ws:
        t.requires_grad_(True)
    w = dict(ws)
    R = rounded(torch.randn(B, TQ, dv))
    Ra = rounded(torch.randn(B, TQ, TV))

    scores = scores_of(layer, opts, w, q, k if with_key else v)
    keep = torch.ones(B, TQ, TV, dtype=torch.float64)
    if masks:
        keep = keep * torch.tensor(V_MASK, dtype=torch.float64).unsqueeze(1)
    if causal:
        keep = keep * torch.tril(torch.ones(TQ, TV, dtype=torch.float64)).unsqueeze(0)
    assert (keep.sum(-1) > 0).all(), "a query row masked throughout"
    scores = scores - 1.0e9 * (1 - keep)
    weights = torch.softmax(scores, dim=-1)
    out = weights @ v
    if masks:
        out = out * torch.tensor(Q_MASK, dtype=torch.float64).unsqueeze(-1)
    loss = (out * R).sum() + (weights * Ra).sum()
    loss.backward()

    case = {
        "case": name,
        "layer": layer,
        "options": opts,
        "call": {"useCausalMask": causal, "returnAttentionScores": True},
        "inputs": [dump(q), dump(v)] + ([dump(k)] if with_key else []),
        "masks": [Q_MASK, V_MASK] if masks else None,
        "weights": [{"name": n, **dump(t)} for n, t in ws],
        "R": dump(R),
        "Ra": dump(Ra),
        "output": dump(out),
        "attentionWeights": dump(weights),
        "inputGrads": [dump(q.grad), dump(v.grad)] + ([dump(k.grad)] if with_key else []),
        "weightGrads": [dump(t.grad) for _, t in ws],
    }
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        json.dump(case, f, separators=(",", ":"))
        f.write("\n")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_default_dtype(torch.float64)
    for c in CASES:
        make_case(*c)
        print("wrote", c[0])


if __name__ == "__main__":
    main()
