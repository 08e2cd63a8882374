#!/usr/bin/env python3
"""What hiding inputs, outputs and weights costs: `zkinfer bench` of each model with public inputs and outputs
(today's layout), hashed inputs, hashed inputs and outputs, and committed weights (`--weights committed`: the
weights and biases of MatMul, Gemm and Conv are hashed inputs of the circuit, so one verifying key serves every
weight set), one after the other on the same machine. Writes bench/results/privacy.{md,json}.

    python3 bench/privacy.py [--repeat N] [--zkinfer PATH]

A hashed tensor is one public instance, the Poseidon commitment to its stored values (circuits/src/poseidon):
the circuit gains the Poseidon chip's columns (narrow layout: 7 advice columns) and its rows run beside the
model's, so k grows only when the commitments need more rows than the model. Output error is the same
circuit's either way (max |circuit - float| on the calibration samples, as `zkinfer compile` reports it).
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (name, model dir, input file, calibration file)
MODELS = [
    ("iris_mlp", "models/iris_mlp", "input.json", "calibration.json"),
    ("digits_mlp", "models/digits_mlp", "input.json", "calibration.json"),
    ("digits_cnn", "models/digits_cnn", "input.json", "calibration.json"),
    ("cifar_resnet", "models/testdata/scale/cifar_resnet", "input.json", "calibration.json"),
]
# (inputs, outputs, weights)
VARIANTS = [("public", "public", "fixed"), ("hashed", "public", "fixed"), ("hashed", "hashed", "fixed"),
            ("public", "public", "committed")]


def bench(zk, model, inp, cal, vis_in, vis_out, weights, repeat, work):
    out = os.path.join(work, f"{os.path.basename(model)}-{vis_in}-{vis_out}-{weights}.json")
    cmd = [zk, "bench", os.path.join(ROOT, model, "model.onnx"), "--input", os.path.join(ROOT, model, inp),
           "--sample", os.path.join(ROOT, model, cal), "--repeat", str(repeat), "--json", out,
           "--input-visibility", vis_in, "--output-visibility", vis_out, "--weights", weights]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    r = json.load(open(out))
    stage = {s["name"]: s for s in r["stages"]}
    c = r["circuit"]
    phases = {ph["name"]: ph["median_ms"] for ph in (r.get("prove_phases") or [])}
    return {
        "inputs": vis_in, "outputs": vis_out, "weights": weights, "k": c["k"], "rows_used": c["rows_used"],
        "commitment_rows": c.get("commitment_rows", 0), "advice_columns": c["advice_columns"],
        "fixed_columns": c["fixed_columns"], "public_values": c["public_values"],
        "keygen_pk_ms": stage["keygen_pk"]["median_ms"], "prove_ms": stage["prove"]["median_ms"],
        "verify_ms": stage["verify"]["median_ms"], "proof_bytes": r["proof_bytes"],
        "max_abs_error": r["accuracy"]["max_abs_error"], "peak_memory_bytes": r.get("peak_memory_bytes"),
        "prove_phases_ms": phases,
    }


def main():
    load_at_start = os.getloadavg()[0]
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"))
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, model, inp, cal in MODELS:
            if not os.path.exists(os.path.join(ROOT, model, "model.onnx")):
                sys.exit(f"missing {model}/model.onnx")
            for vis_in, vis_out, weights in VARIANTS:
                r = bench(a.zkinfer, model, inp, cal, vis_in, vis_out, weights, a.repeat, work)
                r["model"] = name
                rows.append(r)
                print(json.dumps(r), flush=True)
    version = subprocess.run([a.zkinfer, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "zkinfer_version": version, "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_at_start": load_at_start, "command": f"python3 bench/privacy.py --repeat {a.repeat}"}
    res = os.path.join(ROOT, "bench", "results")
    json.dump({"meta": meta, "rows": rows}, open(os.path.join(res, "privacy.json"), "w"), indent=1)
    open(os.path.join(res, "privacy.md"), "w").write(render(meta, rows))
    print(render(meta, rows))


PHASE_ORDER = ["synthesis", "advice_commit", "lookup_permuted", "permutation_product", "lookup_product",
               "vanishing_blind", "quotient", "evaluations", "multiopen"]


def render(meta, rows):
    lines = [
        "# Hashed inputs and outputs, committed weights: what they cost",
        "",
        f"`{meta['command']}` by `{meta['zkinfer_version']}`, {meta['date']}, {meta['cpus']} CPUs "
        f"({meta['platform']}), CPU prover, median of the runs. 1-minute load average "
        f"{meta['loadavg_at_start']:.2f} when the run started.",
        "",
        "*public*: every input and output value is an instance (today's layout). *hashed*: one instance per "
        "tensor, the Poseidon commitment to its values (the circuit commits in-circuit; rows beside the model's, "
        "in 7 advice columns of their own). *committed* weights: the weights and biases of MatMul, Gemm and Conv are "
        "hashed inputs (one commitment each, so one verifying key for every weight set of the architecture); "
        "their products run in the dot tile (activation x activation) instead of the MAC tile's fixed columns, "
        "and the weights' commitments add Poseidon rows. Ratios are against the same model's public row with "
        "fixed weights, each the median of the runs; error is max |circuit - float| on the calibration samples.",
        "",
        "| model | inputs | outputs | weights | k | model rows | commitment rows | advice cols | public values "
        "| prove ms | prove vs public | keygen_pk ms | verify ms | max abs error |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    base = {r["model"]: r for r in rows
            if r["inputs"] == "public" and r["outputs"] == "public" and r.get("weights", "fixed") == "fixed"}
    for r in rows:
        ratio = r["prove_ms"] / base[r["model"]]["prove_ms"] if r["model"] in base else float("nan")
        lines.append(
            f"| {r['model']} | {r['inputs']} | {r['outputs']} | {r.get('weights', 'fixed')} | {r['k']} | "
            f"{r['rows_used']} | "
            f"{r['commitment_rows']} | {r['advice_columns']} | {r['public_values']} | {r['prove_ms']:.0f} | "
            f"{ratio:.2f}x | {r['keygen_pk_ms']:.0f} | {r['verify_ms']:.1f} | {r['max_abs_error']:.2e} |")
    lines += ["", "Why committed weights cost more than fixed ones: (1) every weight value becomes a range-checked "
              "lane row (the dot tile and the Poseidon packing copy range-checked cells), where a fixed weight is a "
              "fixed-column constant; (2) its commitment takes about two Poseidon rows per value beside the model "
              "(ten values per field element), which sets k where the weights outnumber the model's rows; (3) each "
              "product with a weight runs in the dot tile (one dot product over its pairs per row) instead of the "
              "MAC tile (a block of inputs times a block of outputs per row from fixed columns), which sets k for "
              "convolutions with many output pixels. Proving time follows 2^k (the quotient phase dominates), so "
              "one more k doubles it."]
    phases = [r for r in rows if r.get("weights") == "committed" or
              (r["inputs"] == "public" and r["outputs"] == "public")]
    names = sorted({n for r in phases for n in r.get("prove_phases_ms", {})},
                   key=lambda n: PHASE_ORDER.index(n) if n in PHASE_ORDER else len(PHASE_ORDER))
    if names:
        lines += ["", "Proving by phase (median ms), fixed against committed weights:", "",
                  "| model | weights | " + " | ".join(names) + " |",
                  "|---|---|" + "---|" * len(names)]
        for r in phases:
            ph = r.get("prove_phases_ms", {})
            lines.append(f"| {r['model']} | {r.get('weights', 'fixed')} | "
                         + " | ".join(f"{ph.get(n, float('nan')):.0f}" for n in names) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
