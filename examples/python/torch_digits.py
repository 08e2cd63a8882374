"""Train a small PyTorch MLP on scikit-learn's bundled digits (8x8 images), then compile, set up, prove
one test image and verify the proof. Runs in about a minute on 2 cores.

    python examples/python/torch_digits.py [OUT_DIR]
"""

import sys
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import zkinfer

out = sys.argv[1] if len(sys.argv) > 1 else "out/py-torch-digits"
X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)  # pixels 0..16 -> [0, 1]
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)

torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
opt = torch.optim.Adam(net.parameters(), lr=0.01)
xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
for epoch in range(60):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(net(xt), yt)
    loss.backward()
    opt.step()
with torch.no_grad():
    acc = (net(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean()
print(f"trained: test accuracy {acc:.3f}")

r = zkinfer.from_torch(net, torch.zeros(1, 64), out, samples=X_train[:64])
print(f"compiled: k = {r.k}, {r.rows} rows, argmax agrees on {r.argmax_agree}/{r.samples} calibration samples")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", zkinfer.DevelopmentSrsWarning)
    zkinfer.setup(out)  # a development SRS: pass srs="powersOfTau28_hez_final_NN.ptau" for a ceremony's

proof = zkinfer.prove(out, X_test[0])
proof.save(f"{out}/proof.json")
v = zkinfer.verify(out, proof, allow_dev_srs=True)
pred = int(np.argmax(v.outputs[0]))
print(f"proved in {proof.proving_seconds:.2f} s; verified: class {pred} (label {y_test[0]})")
with torch.no_grad():
    assert pred == int(net(torch.from_numpy(X_test[:1])).argmax()), "the proved class differs from torch's"
