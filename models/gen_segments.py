#!/usr/bin/env python3
"""A model for the split-model CLI test (run by models/generate.sh; cli/tests/segments_cli.rs): big enough
in rows to need k = 12 as one circuit, so that `zkinfer compile --max-k 10` splits it into several segments
(three), each of which sets up and proves in a few seconds; small on disk (~150 KB), because its blocks
share weights.

Like models/gen_scale.py: random but seeded weights, torch.onnx.export (opset 17, eval mode, constant
folding), and models/testdata/segments/<name>/ gets model.onnx, input.json, calibration.json (8 samples, the
first being the input) and expected.json (onnxruntime's outputs on the input, checked against torch's).

- residual_mlp: input [1, 16], a Linear to 64 + ReLU, 64 residual blocks h = ReLU(h + fc2(ReLU(fc1(h))))
  (64 -> 64 -> 64; the skip crosses the cuts), a Linear to 10 classes. The blocks cycle through three
  distinct weight sets (fc2 scaled by 0.5 so the values stay in range): the exporter writes each set once,
  and the circuit still places every block's weights, so its rows grow with the blocks, not the file.
"""
import sys

import torch
import torch.nn as nn

import gen_scale  # noqa: E402  (export: the same ONNX export and reference data)



class Block(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, h):
        return torch.relu(h + self.fc2(torch.relu(self.fc1(h))))


class ResidualMlp(nn.Module):
    def __init__(self, inputs=16, width=64, hidden=64, distinct=3, blocks=64, classes=10):
        super().__init__()
        self.inp = nn.Linear(inputs, width)
        shared = [Block(width, hidden) for _ in range(distinct)]
        with torch.no_grad():
            for b in shared:
                b.fc2.weight.mul_(0.5)
        self.blocks = nn.Sequential(*[shared[i % distinct] for i in range(blocks)])
        self.out = nn.Linear(width, classes)

    def forward(self, x):
        return self.out(self.blocks(torch.relu(self.inp(x))))


def export(name, model, shape):
    gen_scale.export(name, model, shape, subdir="segments", seed=2031)


MODELS = {
    "residual_mlp": lambda: (ResidualMlp(), (1, 16)),
}


def main(names):
    for name in names or list(MODELS):
        torch.manual_seed(2030)
        model, shape = MODELS[name]()
        export(name, model, shape)


if __name__ == "__main__":
    main(sys.argv[1:])
