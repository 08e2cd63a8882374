#!/usr/bin/env python3
"""PyTorch exports for zkinfer's "unseen models" tests (run by models/generate.sh).

Each model has random but seeded weights and is exported with torch.onnx.export (opset 17) exactly as a user
would export theirs; models/testdata/<name>/ gets model.onnx, input.json, calibration.json (16 samples, the
first being the input) and expected.json (onnxruntime's outputs on the input).

- torch_attention: one multi-head causal self-attention block (nanoGPT's CausalSelfAttention with the mask
  applied after the exponential: exp(att - max) * tril, normalised by its sum, which is the masked softmax).
- torch_gpt: a nanoGPT-style decoder, 2 layers, 2 heads, embedding 32, context 8, vocabulary 256 (LayerNorm,
  GELU MLP, tied-free lm_head). Its input is the embedded token sequence (token + position embedding, [1, 8, 32]):
  token ids are integers that select embedding rows (torch_gpt_tokens takes them).
- torch_gpt_tokens: the same decoder taking token ids ([1, 8] int64) through an nn.Embedding of its own (and a
  position embedding): the lookup of a computed row is a one-hot product in the circuit.
- torch_lstm, torch_gru: one-layer LSTM / GRU over 6 steps (batch_first), a Linear head on the last step.
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def export(name, model, shape, scale=1.0):
    torch.manual_seed(7)
    rng = np.random.default_rng(2027)
    model.eval()
    out = os.path.join(HERE, "testdata", name)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    x = (rng.uniform(-1, 1, size=shape) * scale).astype(np.float32)
    with torch.no_grad():
        torch.onnx.export(model, (torch.from_numpy(x),), path, opset_version=OPSET, input_names=["x"],
                          output_names=["y"], do_constant_folding=True, dynamo=False)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    results = sess.run(None, {"x": x})
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    assert np.allclose(ref, results[0], atol=1e-4), f"{name}: onnxruntime and torch disagree"
    write_json(os.path.join(out, "input.json"), {"input_data": [x.reshape(-1).tolist()]})
    calib = (rng.uniform(-1.0, 1.0, size=(16,) + shape[1:]) * scale).astype(np.float32)
    calib[0] = x[0]
    write_json(os.path.join(out, "calibration.json"), {"input_data": [calib.reshape(-1).tolist()]})
    write_json(os.path.join(out, "expected.json"), {"outputs": [r.reshape(-1).tolist() for r in results],
                                                    "shapes": [list(r.shape) for r in results]})
    print(f"{name}: {os.path.getsize(path)} bytes, output {list(results[0].shape)}")


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block):
        super().__init__()
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head
        self.register_buffer("mask", torch.tril(torch.ones(block, block)).view(1, 1, block, block))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / (k.size(-1) ** 0.5))
        # masked softmax: the mask multiplies exp(att - max) (equal to softmax(masked_fill(-inf)))
        e = torch.exp(att - att.amax(dim=-1, keepdim=True)) * self.mask[:, :, :T, :T]
        att = e / e.sum(dim=-1, keepdim=True)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(), nn.Linear(4 * n_embd, n_embd))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab=256, block=8, n_embd=32, n_head=2, n_layer=2):
        super().__init__()
        self.blocks = nn.ModuleList([Block(n_embd, n_head, block) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return self.lm_head(self.ln_f(x))


class GPTTokens(nn.Module):
    def __init__(self, vocab=256, block=8, n_embd=32):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.gpt = GPT(vocab, block, n_embd)

    def forward(self, idx):
        pos = torch.arange(idx.size(1))
        return self.gpt(self.wte(idx) + self.wpe(pos))


def export_tokens(name, model, vocab=256, block=8):
    """Like export, with integer token ids as the input (16 calibration samples, the first the input)."""
    torch.manual_seed(7)
    rng = np.random.default_rng(2028)
    model.eval()
    out = os.path.join(HERE, "testdata", name)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    x = rng.integers(0, vocab, size=(1, block)).astype(np.int64)
    with torch.no_grad():
        torch.onnx.export(model, (torch.from_numpy(x),), path, opset_version=OPSET, input_names=["x"],
                          output_names=["y"], do_constant_folding=True, dynamo=False)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    results = sess.run(None, {"x": x})
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    assert np.allclose(ref, results[0], atol=1e-4), f"{name}: onnxruntime and torch disagree"
    write_json(os.path.join(out, "input.json"), {"input_data": [x.reshape(-1).astype(float).tolist()]})
    calib = rng.integers(0, vocab, size=(16, block))
    calib[0] = x[0]
    write_json(os.path.join(out, "calibration.json"), {"input_data": [calib.reshape(-1).astype(float).tolist()]})
    write_json(os.path.join(out, "expected.json"), {"outputs": [r.reshape(-1).tolist() for r in results],
                                                    "shapes": [list(r.shape) for r in results]})
    print(f"{name}: {os.path.getsize(path)} bytes, output {list(results[0].shape)}")


class Recurrent(nn.Module):
    def __init__(self, cell, features=4, hidden=8, outputs=3):
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1])


def main(names):
    models = {
        "torch_attention": lambda: (CausalSelfAttention(32, 4, 8), (1, 8, 32)),
        "torch_gpt": lambda: (GPT(), (1, 8, 32)),
        "torch_lstm": lambda: (Recurrent(nn.LSTM), (1, 6, 4)),
        "torch_gru": lambda: (Recurrent(nn.GRU), (1, 6, 4)),
    }
    for name in names or list(models) + ["torch_gpt_tokens"]:
        torch.manual_seed(2026)
        if name == "torch_gpt_tokens":
            export_tokens(name, GPTTokens())
            continue
        model, shape = models[name]()
        export(name, model, shape)


if __name__ == "__main__":
    main(sys.argv[1:])
