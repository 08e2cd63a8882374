#!/usr/bin/env python3
"""Larger PyTorch exports for the scale tests (run by models/generate.sh; prover/tests/scale_models.rs).

Like models/gen_torch.py: random but seeded weights, torch.onnx.export (opset 17, eval mode, constant folding:
each BatchNormalization is folded into the Conv before it by the exporter), and models/testdata/scale/<name>/
gets model.onnx, input.json, calibration.json (8 samples, the first being the input) and expected.json
(onnxruntime's outputs on the input, checked against torch's). The inputs are rounded to three decimals, and
their JSON is written on one line, so that the committed files stay small (the float32 model sees the same
rounded values). The sizes are chosen to prove in well under a minute on a 2-core machine (the measurements
are in prover/tests/scale_models.rs): the ResNet's stem has stride 2 (with stride 1, as in the CIFAR ResNets,
the circuit is k = 16, 50,710 rows), and the MobileNet block takes 12x12 (16x16 compiles to k = 17).

- cifar_resnet: a small CIFAR-10 ResNet, input [1, 3, 32, 32]: a 3x3 stem conv (stride 2) + BN + ReLU, a
  basic block with an identity skip (16 channels), a basic block with stride 2 and a 1x1 stride-2
  projection shortcut (conv + BN, 16 -> 32 channels), global average pool, a Linear to 10 classes.
- mobilenet_block: MobileNetV2 inverted residual blocks, input [1, 16, 12, 12]: 1x1 expand conv + BN +
  ReLU6, 3x3 depthwise conv (groups = channels) + BN + ReLU6, 1x1 projection conv + BN, and the residual add
  (stride 1, expansion 4); then a stride-2 block (16 -> 24 channels, no residual, as in MobileNetV2),
  global average pool and a Linear to 10 classes. ReLU6 is exported as Clip(0, 6).
"""
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17
CALIBRATION_SAMPLES = 8


def write_json(path, obj, indent=1):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def randomise_batch_norms(model, gen):
    """Gives every BatchNorm non-trivial (seeded) statistics and affine parameters, so that folding them
    into the convolutions changes the weights."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.empty(c).uniform_(-0.2, 0.2, generator=gen))
            m.running_var.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=gen))
            m.weight.data.copy_(torch.empty(c).uniform_(0.6, 1.4, generator=gen))
            m.bias.data.copy_(torch.empty(c).uniform_(-0.2, 0.2, generator=gen))


def export(name, model, shape, subdir="scale", seed=2029):
    """Writes models/testdata/SUBDIR/NAME/: model.onnx, and input, calibration and onnxruntime's expected
    outputs (inputs drawn with `seed`)."""
    rng = np.random.default_rng(seed)
    model.eval()
    out = os.path.join(HERE, "testdata", subdir, name)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    calib = np.round(rng.uniform(-1.0, 1.0, size=(CALIBRATION_SAMPLES,) + tuple(shape[1:])), 3)
    x64 = calib[:1]
    x = x64.astype(np.float32)
    with torch.no_grad():
        torch.onnx.export(model, (torch.from_numpy(x),), path, opset_version=OPSET, input_names=["x"],
                          output_names=["y"], do_constant_folding=True, dynamo=False)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    results = sess.run(None, {"x": x})
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    assert np.allclose(ref, results[0], atol=1e-4), f"{name}: onnxruntime and torch disagree"
    write_json(os.path.join(out, "input.json"), {"input_data": [x64.reshape(-1).tolist()]}, None)
    write_json(os.path.join(out, "calibration.json"), {"input_data": [calib.reshape(-1).tolist()]}, None)
    write_json(os.path.join(out, "expected.json"), {"outputs": [r.reshape(-1).tolist() for r in results],
                                                    "shapes": [list(r.shape) for r in results]})
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"{name}: {os.path.getsize(path)} bytes, output {list(results[0].shape)}, ops {ops}")


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus the shortcut (identity, or a 1x1 conv + BN where the shape changes),
    then ReLU."""

    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, width=16, stem_stride=2, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, width, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(width),
                                  nn.ReLU())
        self.layer1 = BasicBlock(width, width, 1)
        self.layer2 = BasicBlock(width, 2 * width, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x):
        y = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(y), 1))


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand + ReLU6, 3x3 depthwise + ReLU6, 1x1 linear projection; the input is
    added back where the stride is 1 and the channels agree."""

    def __init__(self, c_in, c_out, stride, expand):
        super().__init__()
        hidden = c_in * expand
        self.body = nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
            nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class MobileNetBlocks(nn.Module):
    def __init__(self, channels=16, expand=4, classes=10):
        super().__init__()
        self.block1 = InvertedResidual(channels, channels, 1, expand)
        self.block2 = InvertedResidual(channels, 24, 2, expand)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(24, classes)

    def forward(self, x):
        y = self.block2(self.block1(x))
        return self.fc(torch.flatten(self.pool(y), 1))


MODELS = {
    "cifar_resnet": lambda: (CifarResNet(), (1, 3, 32, 32)),
    "mobilenet_block": lambda: (MobileNetBlocks(), (1, 16, 12, 12)),
}


def main(names):
    for name in names or list(MODELS):
        torch.manual_seed(2026)
        model, shape = MODELS[name]()
        with torch.no_grad():
            randomise_batch_norms(model, torch.Generator().manual_seed(2027))
        export(name, model, shape)


if __name__ == "__main__":
    main(sys.argv[1:])
