#!/usr/bin/env python3
"""Models of the size people deploy: compile, setup, key size, prove and verify time, peak memory and output error,
one `zkinfer` process per step (as a user runs them). Writes bench/results/scale.{md,json}.

    python3 bench/scale.py [--models a,b]

Models (the first two are the committed test fixtures; the others are generated here with PyTorch from
models/.venv into bench/work/scale/, seeded, never committed):
- cifar_resnet, mobilenet_block: models/testdata/scale/ (prover/tests/scale_models.rs proves them in CI);
- cifar_cnn: a VGG-style CIFAR-10 CNN, [1,3,32,32], conv 3->32->64->128 (3x3, ReLU, 2x2 max pool after each),
  a 2048->64->10 head: about 0.23M parameters and 11M MACs;
- mlp_4m: a 3072-1024-1024-10 MLP, about 4.2M weights.
MobileNetV2- and ResNet-18-class models are not here: they do not fit one circuit on this machine, and models
split across circuits are not built yet.

Per model: the default `setup` (the proving key rebuilt from vk.bin when `prove` loads it) and `setup
--store-pk` (pk.bin written; its size is the key a provider would otherwise download), each followed by one
`prove`: the two prove walls compare rebuilding the key with reading it. Output error: max |proved - reference|
/ max |reference| against onnxruntime's outputs (expected.json).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ezkl_compare as cmp  # noqa: E402  (timed(): wall time and peak RSS of a process and its children)

ROOT = os.path.dirname(HERE)
WORK = os.path.join(ROOT, "bench", "work", "scale")
FIXTURES = ["cifar_resnet", "mobilenet_block"]
GENERATED = ["cifar_cnn", "mlp_4m"]

GEN = r'''
import json, os, sys
import numpy as np, onnxruntime as ort, torch, torch.nn as nn
name, out = sys.argv[1], sys.argv[2]
torch.manual_seed(7); np.random.seed(7)
def cnn():
    c = lambda i, o: [nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*c(3, 32), *c(32, 64), *c(64, 128), nn.Flatten(), nn.Linear(2048, 64), nn.ReLU(),
                         nn.Linear(64, 10)), [1, 3, 32, 32]
def mlp():
    return nn.Sequential(nn.Linear(3072, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 10)), [1, 3072]
m, shape = {"cifar_cnn": cnn, "mlp_4m": mlp}[name]()
m.eval()
os.makedirs(out, exist_ok=True)
x = np.round(np.random.uniform(-1, 1, [8] + shape[1:]).astype(np.float32), 3)
torch.onnx.export(m, torch.from_numpy(x[:1]), os.path.join(out, "model.onnx"), opset_version=17,
                  input_names=["input"], output_names=["output"], do_constant_folding=True)
flat = lambda a: [float(v) for v in a.reshape(-1)]
json.dump({"input_data": [flat(x[:1])]}, open(os.path.join(out, "input.json"), "w"))
json.dump({"input_data": [flat(x)]}, open(os.path.join(out, "calibration.json"), "w"))
y = ort.InferenceSession(os.path.join(out, "model.onnx")).run(None, {"input": x[:1]})[0]
json.dump({"outputs": [flat(y)], "shapes": [list(y.shape)]}, open(os.path.join(out, "expected.json"), "w"))
print(sum(p.numel() for p in m.parameters()))
'''


def source(name):
    if name in FIXTURES:
        return os.path.join(ROOT, "models", "testdata", "scale", name), None
    out = os.path.join(WORK, "models", name)
    py = os.path.join(ROOT, "models", ".venv", "bin", "python")
    p = subprocess.run([py, "-c", GEN, name, out], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"generating {name} failed:\n{p.stdout}{p.stderr}")
    return out, int(p.stdout.strip().splitlines()[-1])


def params_of(src):
    py = os.path.join(ROOT, "models", ".venv", "bin", "python")
    code = ("import onnx, numpy as np, sys; m = onnx.load(sys.argv[1]); "
            "print(sum(int(np.prod(t.dims)) for t in m.graph.initializer))")
    p = subprocess.run([py, "-c", code, os.path.join(src, "model.onnx")], capture_output=True, text=True)
    return int(p.stdout.strip()) if p.returncode == 0 else None


def step(r, name, cmd):
    wall, rss, out = cmp.timed(cmd)
    r["steps"][name] = {"s": wall, "peak_bytes": rss}
    return out


def measure(name):
    src, n_params = source(name)
    n_params = n_params or params_of(src)
    zk = cmp.ZKINFER
    d = os.path.join(WORK, name)
    subprocess.run(["rm", "-rf", d])
    r = {"model": name, "parameters": n_params, "steps": {}}
    try:
        step(r, "compile", [zk, "compile", f"{src}/model.onnx", "--out", d, "--sample", f"{src}/calibration.json"])
        s = json.load(open(os.path.join(d, "settings.json")))
        r["k"] = s["k"]
        step(r, "setup", [zk, "setup", d])
        r["vk_bytes"] = os.path.getsize(os.path.join(d, "vk.bin"))
        proof = os.path.join(d, "proof.json")
        step(r, "prove", [zk, "prove", d, "--input", f"{src}/input.json", "--proof", proof])
        step(r, "verify", [zk, "verify", d, "--proof", proof, "--allow-dev-srs"])
        p = json.load(open(proof))
        ref = json.load(open(os.path.join(src, "expected.json")))["outputs"][0]
        r["output_rel_err"] = cmp.rel_err(cmp.flatten(p["outputs"][0]), ref)
        step(r, "setup_store_pk", [zk, "setup", d, "--store-pk"])
        r["pk_bytes"] = os.path.getsize(os.path.join(d, "pk.bin"))
        step(r, "prove_stored_pk", [zk, "prove", d, "--input", f"{src}/input.json", "--proof", proof])
        r["status"] = "ok"
    except cmp.StepFailed as e:
        r["status"] = f"failed: {e}"[:300]
    return r


def render(meta, rows):
    mb = lambda b: f"{b / 2**20:.0f}" if b else "-"
    st = lambda r, k: r["steps"].get(k, {})
    lines = [
        "# Models of the size people deploy",
        "",
        f"`{meta['command']}` by `{meta['zkinfer_version']}`, {meta['date']}, {meta['cpus']} CPUs "
        f"({meta['platform']}), CPU prover. One `zkinfer` process per step; wall time and peak resident memory of "
        "each. *prove* loads the folder as `zkinfer setup` leaves it by default (the proving key rebuilt from "
        "vk.bin); *prove, pk.bin* after `zkinfer setup --store-pk` (the key read from pk.bin). Error: max "
        "|proved - onnxruntime| / max |onnxruntime|.",
        "",
        "| model | parameters | k | compile s | setup s | setup peak MB | vk bytes | pk.bin MB | prove s "
        "| prove, pk.bin s | prove peak MB | verify s | error | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        err = f"{r['output_rel_err']:.2e}" if r.get("output_rel_err") is not None else "-"
        f = lambda k: f"{st(r, k)['s']:.1f}" if st(r, k) else "-"
        lines.append(
            f"| {r['model']} | {r.get('parameters') or '-'} | {r.get('k', '-')} | {f('compile')} | {f('setup')} | "
            f"{mb(st(r, 'setup').get('peak_bytes'))} | {r.get('vk_bytes', '-')} | {mb(r.get('pk_bytes'))} | "
            f"{f('prove')} | {f('prove_stored_pk')} | {mb(st(r, 'prove').get('peak_bytes'))} | {f('verify')} | "
            f"{err} | {r['status']} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(FIXTURES + GENERATED))
    a = ap.parse_args()
    names = a.models.split(",")
    os.makedirs(WORK, exist_ok=True)
    load = os.getloadavg()[0]
    rows = []
    for n in names:
        rows.append(measure(n))
        print(json.dumps(rows[-1]), flush=True)
    version = subprocess.run([cmp.ZKINFER, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "zkinfer_version": version, "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_at_start": load, "command": "python3 bench/scale.py " + " ".join(sys.argv[1:])}
    res = os.path.join(ROOT, "bench", "results")
    json.dump({"meta": meta, "rows": rows}, open(os.path.join(res, "scale.json"), "w"), indent=1)
    open(os.path.join(res, "scale.md"), "w").write(render(meta, rows))
    print(render(meta, rows))


if __name__ == "__main__":
    main()
