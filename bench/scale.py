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
- mobilenet_v2: torchvision's MobileNetV2 structure (stem conv stride 2, the 17 inverted residual blocks with
  their ImageNet strides, 1x1 conv to 1280, pool, Linear) at CIFAR resolution [1,3,32,32], width multiplier
  MBV2_WIDTH (0.5: about 0.70M parameters and 2.0M MACs; the ImageNet model at 224x224 and width 1.0 has 300M),
  proved unsplit and through segments (SEGMENTED: `compile --max-k K`, one `prove --segment i` process per
  segment, then `verify` of the chain).
- resnet18: ResNet-18 for CIFAR-10 (3x3 stem, BasicBlocks [2, 2, 2, 2], strides 1, 2, 2, 2) at stage widths
  16, 32, 64, 128 (RESNET_WIDTH 16, a quarter of the usual 64: 0.70M parameters and 35M MACs against 11.2M and
  0.56G), proved through segments.

    python3 bench/scale.py [--models a,b] [--segmented name:max_k,...] [--phases a,b] [--ezkl]

--phases adds `zkinfer bench`'s prove phase split of those whole models; --ezkl runs EZKL's pipeline beside each
whole model where it fits in memory (run with bench/.venv/bin/python, which bench/ezkl_compare.sh makes). The chart
scale.svg needs matplotlib (bench/.venv).

Per model: the default `setup` (the proving key rebuilt from vk.bin when `prove` loads it) and `setup
--store-pk` (pk.bin written; its size is the key a provider would otherwise download), each followed by one
`prove`: the two prove walls compare rebuilding the key with reading it. Output error: max |proved - reference|
/ max |reference| against onnxruntime's outputs (expected.json).
"""
import argparse
import datetime
import hashlib
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
GENERATED = ["cifar_cnn", "mlp_4m", "mobilenet_v2"]
# models proved through segments (compile --max-k K): one `zkinfer prove --segment i` process per segment, each
# from the previous segment's openings, so that each segment's wall time and peak memory are its own
SEGMENTED = {"mobilenet_v2": 15, "resnet18": 17}

MBV2_WIDTH = 0.5
RESNET_WIDTH = 16
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
def with_bn_stats(m, seed):
    # running statistics drawn per BatchNorm (seeded), so that folding them into the convolutions is exercised
    g = torch.Generator().manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            k = mod.num_features
            mod.running_mean.copy_(torch.empty(k).uniform_(-0.2, 0.2, generator=g))
            mod.running_var.copy_(torch.empty(k).uniform_(0.5, 1.5, generator=g))
    return m
def divisible(v, d=8):
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n
class InvertedResidual(nn.Module):
    def __init__(self, i, o, stride, t):
        super().__init__()
        h = i * t
        layers = [] if t == 1 else [nn.Conv2d(i, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6()]
        layers += [nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
                   nn.Conv2d(h, o, 1, bias=False), nn.BatchNorm2d(o)]
        self.body, self.res = nn.Sequential(*layers), stride == 1 and i == o
    def forward(self, x):
        return x + self.body(x) if self.res else self.body(x)
def mobilenet_v2(width=MBV2_WIDTH):
    # torchvision's MobileNetV2 (ImageNet strides, 17 inverted residual blocks, 1x1 conv to 1280) at 32x32
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
           (6, 320, 1, 1)]
    c = divisible(32 * width)
    last = divisible(1280 * max(1.0, width))
    layers = [nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU6()]
    for t, ch, n, s in cfg:
        o = divisible(ch * width)
        for i in range(n):
            layers.append(InvertedResidual(c, o, s if i == 0 else 1, t))
            c = o
    layers += [nn.Conv2d(c, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU6(), nn.AdaptiveAvgPool2d(1),
               nn.Flatten(), nn.Linear(last, 10)]
    return with_bn_stats(nn.Sequential(*layers), 8), [1, 3, 32, 32]
class BasicBlock(nn.Module):
    def __init__(self, i, o, stride):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(i, o, 3, stride, 1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                                  nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o))
        self.skip = nn.Sequential() if stride == 1 and i == o else nn.Sequential(
            nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
        self.relu = nn.ReLU()
    def forward(self, x):
        return self.relu(self.body(x) + self.skip(x))
def resnet18(width=RESNET_WIDTH):
    # ResNet-18 for CIFAR-10 (3x3 stem, no max pool, BasicBlocks [2, 2, 2, 2] with strides 1, 2, 2, 2, 4x4
    # average pool, Linear) with stage widths width * (1, 2, 4, 8); width 64 is the usual 11.2M parameters
    w = [width, 2 * width, 4 * width, 8 * width]
    layers, c = [nn.Conv2d(3, w[0], 3, 1, 1, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU()], w[0]
    for o, s in zip(w, [1, 2, 2, 2]):
        layers += [BasicBlock(c, o, s), BasicBlock(o, o, 1)]
        c = o
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 10)]
    return with_bn_stats(nn.Sequential(*layers), 9), [1, 3, 32, 32]
m, shape = {"cifar_cnn": cnn, "mlp_4m": mlp, "mobilenet_v2": mobilenet_v2, "resnet18": resnet18,
            "resnet18_w32": lambda: resnet18(32)}[name]()
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


def macs_of(src):
    """Multiply-accumulates of the ONNX model's Conv and Gemm nodes (onnx shape inference)."""
    py = os.path.join(ROOT, "models", ".venv", "bin", "python")
    code = r'''
import onnx, sys
from onnx import shape_inference, numpy_helper
m = shape_inference.infer_shapes(onnx.load(sys.argv[1]))
shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in
          list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input)}
inits = {t.name: list(t.dims) for t in m.graph.initializer}
total = 0
for n in m.graph.node:
    if n.op_type == "Conv":
        w = inits[n.input[1]]
        out = shapes[n.output[0]]
        total += out[1] * out[2] * out[3] * w[1] * w[2] * w[3]
    elif n.op_type == "Gemm":
        w = inits[n.input[1]]
        total += w[0] * w[1]
print(total)
'''
    p = subprocess.run([py, "-c", code, os.path.join(src, "model.onnx")], capture_output=True, text=True)
    return int(p.stdout.strip()) if p.returncode == 0 else None


def source(name):
    if name in FIXTURES:
        return os.path.join(ROOT, "models", "testdata", "scale", name), None
    out = os.path.join(WORK, "models", name)
    py = os.path.join(ROOT, "models", ".venv", "bin", "python")
    gen = GEN.replace("MBV2_WIDTH", repr(MBV2_WIDTH)).replace("RESNET_WIDTH", repr(RESNET_WIDTH))
    p = subprocess.run([py, "-c", gen, name, out], capture_output=True, text=True)
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


def phases(src, name):
    """The prove phase split of `zkinfer bench` (one proof, keys in memory) and the circuit's columns."""
    j = os.path.join(WORK, f"{name}.bench.json")
    try:
        cmp.timed([cmp.ZKINFER, "bench", f"{src}/model.onnx", "--input", f"{src}/input.json", "--sample",
                   f"{src}/calibration.json", "--repeat", "1", "--json", j])
    except cmp.StepFailed as e:
        return {"error": str(e)[:300]}
    b = json.load(open(j))
    prove = next(st for st in b["stages"] if st["name"] == "prove")
    return {"circuit": b["circuit"], "prove_ms": prove["median_ms"],
            "phases": {ph["name"]: ph["median_ms"] for ph in b["prove_phases"] or []}}


def ezkl(src, name, guard):
    """EZKL's own pipeline on the same model and input (bench/ezkl_compare.py), where the guard lets it run."""
    work = os.path.join(WORK, "ezkl", name)
    subprocess.run(["rm", "-rf", work])
    os.makedirs(work)
    # EZKL's calibration of a big model takes minutes and does not depend on the machine's load: kept per model
    # and calibration file (by content) in bench/work/scale/ezkl-settings/ and reused (the row says so)
    h = hashlib.sha256()
    for f in ("model.onnx", "calibration.json"):
        h.update(open(os.path.join(src, f), "rb").read())
    cache = os.path.join(WORK, "ezkl-settings", h.hexdigest()[:16] + ".json")
    os.makedirs(os.path.dirname(cache), exist_ok=True)
    r = cmp.ezkl_run(src, work, guard, settings_cache=cache)
    if "outputs" in r:
        ref = json.load(open(os.path.join(src, "expected.json")))["outputs"][0]
        r["output_rel_err"] = cmp.rel_err(r.pop("outputs"), ref)
    guard.learn(r)
    return r


def measure_segmented(name, max_k):
    src, n_params = source(name)
    zk = cmp.ZKINFER
    d = os.path.join(WORK, f"{name}-split{max_k}")
    chain = os.path.join(d, "chain")
    subprocess.run(["rm", "-rf", d])
    r = {"model": name, "parameters": n_params, "macs": macs_of(src), "max_k": max_k, "steps": {},
         "segments": []}
    try:
        step(r, "compile", [zk, "compile", f"{src}/model.onnx", "--out", d, "--sample", f"{src}/calibration.json",
                            "--max-k", str(max_k)])
        if not os.path.exists(os.path.join(d, "segments.json")):
            r["status"] = f"fits one circuit of at most 2^{max_k} rows: not split"
            return r
        manifest = json.load(open(os.path.join(d, "segments.json")))
        step(r, "setup", [zk, "setup", d])
        os.makedirs(chain, exist_ok=True)
        given = f"{src}/input.json"
        for i, seg in enumerate(manifest["segments"]):
            proof = os.path.join(chain, f"segment-{i}.json")
            wall, rss, _ = cmp.timed([zk, "prove", d, "--segment", str(i), "--input", given, "--proof", proof])
            r["segments"].append({"k": seg["k"], "prove_s": wall, "prove_peak_bytes": rss,
                                  "cut_elements": sum(
                                      int(__import__("math").prod(t["shape"])) for t in manifest["cuts"][i])
                                  if i < len(manifest["cuts"]) else 0})
            given = os.path.join(chain, f"segment-{i}.openings.json")
        r["prove_total_s"] = sum(x["prove_s"] for x in r["segments"])
        r["prove_max_peak_bytes"] = max(x["prove_peak_bytes"] for x in r["segments"])
        step(r, "verify", [zk, "verify", d, "--proof", chain, "--input", f"{src}/input.json", "--allow-dev-srs"])
        p = json.load(open(os.path.join(chain, f"segment-{len(manifest['segments']) - 1}.json")))
        ref = json.load(open(os.path.join(src, "expected.json")))["outputs"][0]
        r["output_rel_err"] = cmp.rel_err(cmp.flatten(p["outputs"][0]), ref)
        r["status"] = "ok"
    except cmp.StepFailed as e:
        r["status"] = f"failed: {e}"[:300]
    return r


def render_segmented(rows):
    mb = lambda b: f"{b / 2**20:.0f}" if b else "-"
    lines = [
        "",
        "## Models split across circuits",
        "",
        "`zkinfer compile --max-k K` splits the model into segments of at most 2^K rows, linked by Poseidon "
        "commitments to the tensors at each cut. Each segment is proved by its own `zkinfer prove --segment i` "
        "process from the previous segment's openings (as separate providers would), so each peak is one "
        "segment's; the chain is verified by one `zkinfer verify` (every segment proof and every link).",
        "",
        "| model | parameters | MACs | max-k | segments (k) | compile s | setup s | setup peak MB | prove s per "
        "segment | prove total s | largest prove peak MB | cut elements | chain verify s | error | status |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        st = lambda k: r["steps"].get(k, {})
        f = lambda k: f"{st(k)['s']:.1f}" if st(k) else "-"
        segs = r.get("segments", [])
        err = f"{r['output_rel_err']:.2e}" if r.get("output_rel_err") is not None else "-"
        per = ", ".join(f"{x['prove_s']:.1f}" for x in segs)
        lines.append(
            f"| {r['model']} | {r.get('parameters') or '-'} | {r.get('macs') or '-'} | {r['max_k']} | "
            f"{len(segs)} ({', '.join(str(x['k']) for x in segs)}) | {f('compile')} | {f('setup')} | "
            f"{mb(st('setup').get('peak_bytes'))} | {per} | "
            f"{r.get('prove_total_s', 0):.1f} | {mb(r.get('prove_max_peak_bytes'))} | "
            f"{', '.join(str(x['cut_elements']) for x in segs[:-1]) or '-'} | {f('verify')} | {err} | "
            f"{r['status']} |")
    return "\n".join(lines) + "\n"


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
        "|proved - onnxruntime| / max |onnxruntime|." + (
            f" The whole-model rows are from an earlier run: {meta['whole_rows_from']}."
            if meta.get("whole_rows_from") else "") + (
            f" Rows of models this run did not measure are from the run before: {meta['merged_from']}."
            if meta.get("merged_from") else ""),
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


def render_ezkl(rows):
    runs = [r for r in rows if "ezkl" in r]
    if not runs:
        return ""
    mb = lambda b: f"{b / 2**20:.0f}" if b else "-"
    lines = ["", "## EZKL beside them", "",
             "EZKL's own pipeline on the same model, input and machine, one process per step (bench/ezkl_compare.py: "
             "gen-settings and calibrate-settings for resources, compile, a locally generated SRS, setup, witness and "
             "prove, verify). Steps estimated above 16 GB, or above the time limit, from the largest per-row memory "
             "and time measured so far, are not run; the reason is given.", "",
             "| model | zkinfer k | EZKL logrows | EZKL settings s | EZKL setup s | EZKL prove s | EZKL prove peak MB "
             "| EZKL error | zkinfer prove s | zkinfer prove peak MB | zkinfer error | EZKL status |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        e, st = r["ezkl"], r["ezkl"].get("steps", {})
        f = lambda k: f"{st[k]['s']:.1f}" if k in st else "-"
        status = (e.get("skipped") or e.get("error") or "ok") + (
            " (calibrated settings from an earlier run)" if e.get("settings_cached") else "")
        err = lambda x: f"{x:.2e}" if x is not None else "-"
        zs = r["steps"].get("prove", {})
        lines.append(
            f"| {r['model']} | {r.get('k', '-')} | {e.get('logrows', '-')} | {f('settings')} | {f('setup')} | "
            f"{f('prove')} | {mb(st.get('prove', {}).get('peak_bytes'))} | {err(e.get('output_rel_err'))} | "
            f"{zs['s']:.1f} | {mb(zs.get('peak_bytes'))} | {err(r.get('output_rel_err'))} | {status} |"
            if zs else f"| {r['model']} | - | {e.get('logrows', '-')} | - | - | - | - | - | - | - | - | {status} |")
    return "\n".join(lines) + "\n"


PHASES = ["synthesis", "advice_commit", "lookup_permuted", "permutation_product", "lookup_product",
          "vanishing_blind", "quotient", "evaluations", "multiopen"]


def render_phases(rows):
    runs = [r for r in rows if r.get("bench", {}).get("phases")]
    if not runs:
        return ""
    lines = ["", "## Where the proving time goes", "",
             "`zkinfer bench MODEL --repeat 1` (one proof, keys in memory) on the same model and input, right after "
             "its row above. Columns: advice / fixed / lookups / equality-enabled. Each phase's share of the proof "
             "(cli/src/bench/phases.rs cuts them at the transcript's challenges). The quotient phase is where "
             "halo2 takes every column (fixed ones included, every proof) to the 4x extended domain by FFT and "
             "evaluates the gates there.", "",
             "| model | k | rows used | columns | MAC tile | prove s | " + " | ".join(PHASES) + " |",
             "|---|---|---|---|---|---|" + "---|" * len(PHASES)]
    for r in runs:
        b, c = r["bench"], r["bench"]["circuit"]
        total = sum(b["phases"].values()) or 1
        lines.append(
            f"| {r['model']} | {c['k']} | {c['rows_used']} | {c['advice_columns']} / {c['fixed_columns']} / "
            f"{c['lookups']} / {c['permutation_columns']} | {c['tile']} | {b['prove_ms'] / 1e3:.1f} | "
            + " | ".join(f"{100 * b['phases'].get(ph, 0) / total:.0f}%" for ph in PHASES) + " |")
    return "\n".join(lines) + "\n"


def chart(rows, split_rows, meta, path):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib missing: scale.svg not drawn (run with bench/.venv/bin/python)")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    bars = []  # (label, prove s, peak MB, colour)
    for r in rows:
        st = r["steps"].get("prove")
        if st:
            bars.append((f"{r['model']}\n(k {r.get('k')})", st["s"], st["peak_bytes"] / 2**20, "#1f77b4"))
        e = r.get("ezkl", {})
        if "prove" in e.get("steps", {}):
            bars.append((f"{r['model']}\nEZKL (logrows {e.get('logrows')})", e["steps"]["prove"]["s"],
                         e["steps"]["prove"]["peak_bytes"] / 2**20, "#ff7f0e"))
    for r in split_rows:
        if r.get("prove_total_s"):
            ks = ", ".join(str(x["k"]) for x in r["segments"])
            bars.append((f"{r['model']}\nsplit (k {ks})", r["prove_total_s"], r["prove_max_peak_bytes"] / 2**20,
                         "#2ca02c"))
    fig, axes = plt.subplots(1, 2, figsize=(13, 5))
    for ax, i, label in ((axes[0], 1, "prove time, s (log scale)"),
                         (axes[1], 2, "prove peak memory, MB (log; split: largest segment)")):
        ax.bar(range(len(bars)), [b[i] for b in bars], color=[b[3] for b in bars])
        for x, b in enumerate(bars):
            ax.text(x, b[i] * 1.08, f"{b[i]:.0f}", ha="center", fontsize=7)
        ax.set_yscale("log")
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels([b[0] for b in bars], rotation=30, ha="right", fontsize=7)
        ax.set_ylabel(label)
    fig.suptitle(f"zkinfer (blue: one circuit, green: split, total of the segments) and EZKL (orange), "
                 f"{meta['cpus']} CPUs, {meta['date']}, {meta['zkinfer_version']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(FIXTURES + GENERATED))
    ap.add_argument("--segmented", default=",".join(f"{n}:{k}" for n, k in SEGMENTED.items()),
                    help="name:max_k,... proved through segments ('' for none)")
    ap.add_argument("--phases", default="cifar_cnn,mlp_4m",
                    help="whole models whose prove phases `zkinfer bench` splits ('' for none)")
    ap.add_argument("--ezkl", action="store_true",
                    help="EZKL beside each whole model where it fits (run with bench/.venv/bin/python)")
    ap.add_argument("--ezkl-max-s", type=float, default=900,
                    help="skip EZKL steps estimated to take longer than this")
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of bench/results/scale.json that this run does not measure again (the "
                         "file then names both runs)")
    a = ap.parse_args()
    names = [n for n in a.models.split(",") if n]
    guard = cmp.Guard(a.ezkl_max_s)
    os.makedirs(WORK, exist_ok=True)
    load = os.getloadavg()[0]
    rows = []
    whole_from = None
    if not names:
        # only the segmented runs: keep the last run's rows of whole models
        prev = json.load(open(os.path.join(ROOT, "bench", "results", "scale.json")))
        rows = prev["rows"]
        pm = prev["meta"]
        whole_from = pm.get("whole_rows_from") or f"`{pm['command']}`, {pm['date']}, `{pm['zkinfer_version']}`"
    for n in names:
        rows.append(measure(n))
        src = source(n)[0]
        if n in a.phases.split(","):
            rows[-1]["bench"] = phases(src, n)
        if a.ezkl:
            rows[-1]["ezkl"] = ezkl(src, n, guard)
        print(json.dumps(rows[-1]), flush=True)
    split_rows = []
    for spec in filter(None, a.segmented.split(",")):
        n, k = spec.split(":")
        split_rows.append(measure_segmented(n, int(k)))
        print(json.dumps(split_rows[-1]), flush=True)
    version = subprocess.run([cmp.ZKINFER, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "zkinfer_version": version, "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_at_start": load, "command": "python3 bench/scale.py " + " ".join(sys.argv[1:])}
    if not names:
        meta["whole_rows_from"] = whole_from
    if a.merge:
        prev = json.load(open(os.path.join(ROOT, "bench", "results", "scale.json")))
        pm = prev["meta"]
        meta["merged_from"] = pm.get("merged_from") or (
            f"`{pm['command']}`, {pm['date']}, `{pm['zkinfer_version']}`, load {pm['loadavg_at_start']:.2f}")
        done = {r["model"] for r in rows}
        rows = [r for r in prev["rows"] if r["model"] not in done] + rows
        done = {(r["model"], r["max_k"]) for r in split_rows}
        split_rows = [r for r in prev.get("segmented", []) if (r["model"], r["max_k"]) not in done] + split_rows
    res = os.path.join(ROOT, "bench", "results")
    json.dump({"meta": meta, "rows": rows, "segmented": split_rows}, open(os.path.join(res, "scale.json"), "w"),
              indent=1)
    md = (render(meta, rows) + render_ezkl(rows) + render_phases(rows)
          + (render_segmented(split_rows) if split_rows else "") + "\n![prove time and peak memory](scale.svg)\n")
    chart(rows, split_rows, meta, os.path.join(res, "scale.svg"))
    open(os.path.join(res, "scale.md"), "w").write(md)
    print(md)


if __name__ == "__main__":
    main()
