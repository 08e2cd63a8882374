"""Tree ensembles converted by hummingbird-ml with its tree-traversal strategies (`tree_trav`, `perf_tree_trav`):
the trees are walked with Gather/GatherElements by indices the model computes, which the circuit proves with
its gather chip. scikit-learn, XGBoost and LightGBM models trained on scikit-learn's bundled datasets, and one
PyTorch model that gathers by an index computed from its input. Each folder of models/hummingbird/ holds model.onnx,
the input (input.json), calibration samples (calibration.json) and onnxruntime's outputs (expected.json).
Run through models/generate.sh."""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
import torch
from hummingbird.ml import convert
from lightgbm import LGBMRegressor
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier
from xgboost import XGBClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hummingbird")


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def save(name, onx, calib, x):
    """Writes the model, its calibration samples, its input and onnxruntime's outputs."""
    out = os.path.join(OUT, name)
    os.makedirs(out, exist_ok=True)
    onx.graph.name = name
    path = os.path.join(out, "model.onnx")
    onnx.save(onx, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x[None, :].astype(np.float32)}
    outs = [np.asarray(o).astype(np.float64) for o in sess.run(None, feed)]
    dump(os.path.join(out, "calibration.json"), {"input_data": [calib.astype(np.float32).reshape(-1).tolist()]})
    dump(os.path.join(out, "input.json"), {"input_data": [x.astype(np.float32).tolist()]})
    dump(os.path.join(out, "expected.json"), {"outputs": [o.reshape(-1).tolist() for o in outs]})


def hummingbird(name, model, x_train, x_test, strategy):
    """Converts with hummingbird's ONNX backend (batch of one) and saves the fixture."""
    x_train = x_train.astype(np.float32)
    hb = convert(model, "onnx", x_train[:1], extra_config={"tree_implementation": strategy})
    save(name, hb.model, x_train[:48], x_test[0])


class GatherByComputedIndex(torch.nn.Module):
    """Picks, per sample, one column of a linear projection of the input at an index computed from the input
    (`torch.gather` by `2 * [x0 > 0] + [x1 > 0.5]`, an integer in 0..4)."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(5)
        self.proj = torch.nn.Linear(4, 6)
        for p in self.parameters():
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)

    def forward(self, x):
        idx = (x[:, 0:1] > 0).long() * 2 + (x[:, 1:2] > 0.5).long()
        return torch.gather(self.proj(x), 1, idx) * 2.0


def torch_gather():
    rng = np.random.default_rng(7)
    x = rng.uniform(-1, 1, (48, 4)).astype(np.float32)
    path = os.path.join(OUT, "torch_gather_computed_index")
    os.makedirs(path, exist_ok=True)
    m = GatherByComputedIndex().eval()
    torch.onnx.export(m, torch.from_numpy(x[:1]), os.path.join(path, "model.onnx"), input_names=["x"],
                      output_names=["y"], opset_version=15, dynamo=False)
    save("torch_gather_computed_index", onnx.load(os.path.join(path, "model.onnx")), x, x[0])


def main():
    iris = load_iris()
    rng = np.random.default_rng(3)
    idx = rng.permutation(len(iris.target))
    xi, yi = iris.data[idx], iris.target[idx]
    tr, te = slice(0, 110), slice(110, None)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(xi[tr], yi[tr])
    hummingbird("sklearn_tree_trav", tree, xi[tr], xi[te], "tree_trav")
    forest = RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(xi[tr], yi[tr])
    hummingbird("sklearn_forest_perf_tree_trav", forest, xi[tr], xi[te], "perf_tree_trav")
    xgb = XGBClassifier(n_estimators=3, max_depth=3, random_state=0).fit(xi[tr], yi[tr])
    hummingbird("xgboost_tree_trav", xgb, xi[tr], xi[te], "tree_trav")
    dia = load_diabetes()
    idx = rng.permutation(len(dia.target))
    xd, yd = dia.data[idx], dia.target[idx]
    # targets scaled to hundreds so the regression output sits in a small fixed-point range
    lgbm = LGBMRegressor(n_estimators=4, num_leaves=8, max_depth=3, random_state=0, verbose=-1)
    lgbm.fit(xd[:400], yd[:400] / 100.0)
    hummingbird("lightgbm_perf_tree_trav", lgbm, xd[:400], xd[400:], "perf_tree_trav")
    torch_gather()


if __name__ == "__main__":
    main()
