"""Tree-ensemble fixtures: scikit-learn models trained on its bundled datasets, exported with skl2onnx
(zipmap=False: plain label and probability tensors), with the input, calibration samples, held-out samples
and onnxruntime's outputs committed next to each model. Run through models/generate.sh (`trees`)."""
import json
import os

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

HERE = os.path.dirname(os.path.abspath(__file__))


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def export(name, model, x_train, x_test, classifier):
    out = os.path.join(HERE, "trees", name)
    os.makedirs(out, exist_ok=True)
    x_train = x_train.astype(np.float32)
    x_test = x_test.astype(np.float32)
    options = {id(model): {"zipmap": False}} if classifier else None
    onx = to_onnx(model, x_train[:1], options=options, target_opset={"": 15, "ai.onnx.ml": 3})
    onx.graph.name = name
    path = os.path.join(out, "model.onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    run = lambda x: [np.asarray(o).astype(np.float64) for o in sess.run(None, {sess.get_inputs()[0].name: x[None, :]})]  # noqa: E731
    calib = x_train[:48]
    dump(os.path.join(out, "calibration.json"), {"input_data": [calib.reshape(-1).tolist()]})
    dump(os.path.join(out, "input.json"), {"input_data": [x_test[0].tolist()]})
    dump(os.path.join(out, "expected.json"), {"outputs": [o.reshape(-1).tolist() for o in run(x_test[0])]})
    held = x_test[:24]
    dump(os.path.join(out, "heldout.json"), {
        "inputs": [x.tolist() for x in held],
        "outputs": [[o.reshape(-1).tolist() for o in run(x)] for x in held],
    })


def trees():
    iris = load_iris()
    rng = np.random.default_rng(3)
    idx = rng.permutation(len(iris.target))
    xi, yi = iris.data[idx], iris.target[idx]
    tr, te = slice(0, 110), slice(110, None)
    export("iris_tree", DecisionTreeClassifier(max_depth=4, random_state=0).fit(xi[tr], yi[tr]), xi[tr], xi[te], True)
    export("iris_forest", RandomForestClassifier(n_estimators=6, max_depth=4, random_state=0).fit(xi[tr], yi[tr]),
           xi[tr], xi[te], True)
    export("iris_gbt", GradientBoostingClassifier(n_estimators=4, max_depth=3, random_state=0).fit(xi[tr], yi[tr]),
           xi[tr], xi[te], True)
    dia = load_diabetes()
    idx = rng.permutation(len(dia.target))
    xd, yd = dia.data[idx], dia.target[idx]
    # targets scaled to hundreds so the regression output sits in a small fixed-point range
    export("diabetes_gbr", GradientBoostingRegressor(n_estimators=8, max_depth=3, random_state=0)
           .fit(xd[:400], yd[:400] / 100.0), xd[:400], xd[400:], False)


if __name__ == "__main__":
    trees()
