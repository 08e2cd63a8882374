#!/usr/bin/env python3
"""Proofs per minute: one `zkinfer prove` process per proof against one `zkinfer prove --proof-dir` batch
(keys loaded once), on the same held-out samples, models alternating. Writes bench/results/throughput.{md,json}.

    python3 bench/throughput.py [N] [--zkinfer PATH] [--device cpu|cuda]

N samples per model (default 8). Output error: max |proved - float| / max |float| against the float model
(tract, `--reference`), the largest over the samples; the same circuit proves both ways, so both paths have it.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["digits_mlp", "digits_cnn"]
ROUNDS = 2


def run(cmd):
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return took, p.stdout


def samples(model, n):
    d = json.load(open(os.path.join(ROOT, "models", model, "heldout.json")))
    flat = d["input_data"][0]
    size = len(json.load(open(os.path.join(ROOT, "models", model, "input.json")))["input_data"][0])
    return [flat[i * size:(i + 1) * size] for i in range(n)]


def measure(zk, model, n, device, work):
    src = os.path.join(ROOT, "models", model)
    d = os.path.join(work, model)
    run([zk, "compile", f"{src}/model.onnx", "--out", d, "--sample", f"{src}/calibration.json"])
    run([zk, "setup", d])
    ss = samples(model, n)
    batch_in = os.path.join(work, f"{model}-batch.json")
    json.dump({"input_data": [sum(ss, [])]}, open(batch_in, "w"))
    per_proc, took, each, load = [], 0.0, [], []
    for rnd in range(ROUNDS):
        # the two ways alternate, and swap order each round, so that both see the same load
        for way in (["proc", "batch"] if rnd % 2 == 0 else ["batch", "proc"]):
            if way == "proc":
                # one process per proof (keys read, SRS loaded, proof written, every time)
                for i, s in enumerate(ss):
                    f = os.path.join(work, f"{model}-{i}.json")
                    json.dump({"input_data": [s]}, open(f, "w"))
                    t, _ = run([zk, "prove", d, "--input", f, "--proof",
                                os.path.join(work, f"{model}-p{i}.json"), "--device", device])
                    per_proc.append(t)
            else:
                t, out = run([zk, "prove", d, "--input", batch_in, "--proof-dir",
                              os.path.join(work, f"{model}-out"), "--device", device])
                took += t
                each += [float(m) for m in re.findall(r"^proof \d+: \S+ \(([\d.]+) ms", out, re.M)]
                load.append(float(re.search(r"keys loaded in ([\d.]+) ms", out).group(1)))
    # the output error, in a run of its own (the float model's runs are not timed)
    _, out = run([zk, "prove", d, "--input", batch_in, "--proof-dir", os.path.join(work, f"{model}-ref"),
                  "--device", device, "--reference", f"{src}/model.onnx"])
    err = float(re.search(r"largest output error against the float model: ([\d.]+)%", out).group(1))
    k = json.load(open(os.path.join(d, "settings.json")))["k"]
    return {
        "model": model, "k": k, "n": n, "rounds": ROUNDS, "device": device,
        "per_process_s": per_proc, "per_process_per_min": len(per_proc) * 60 / sum(per_proc),
        "batch_wall_s": took, "batch_load_ms": load, "batch_each_ms": each,
        "batch_per_min": len(each) * 60 / took, "batch_steady_per_min": len(each) * 60 / (sum(each) / 1e3),
        "output_error_pct": err,
    }


def main():
    load_at_start = os.getloadavg()[0]
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=8)
    ap.add_argument("--zkinfer", default=os.path.join(ROOT, "target", "release", "zkinfer"))
    ap.add_argument("--device", default="cpu")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for m in MODELS:
            rows.append(measure(a.zkinfer, m, a.n, a.device, work))
    # the binary measured says what it was built from (the checkout may have moved since it was built)
    commit = subprocess.run([a.zkinfer, "--version"], capture_output=True, text=True).stdout.strip()
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit, "zkinfer_version": commit, "cpus": os.cpu_count(), "platform": platform.platform(),
            "loadavg_at_start": load_at_start,
            "command": f"python3 bench/throughput.py {a.n} --device {a.device}"}
    res = os.path.join(ROOT, "bench", "results")
    json.dump({"meta": meta, "rows": rows}, open(os.path.join(res, "throughput.json"), "w"), indent=1)
    lines = [
        "# Proofs per minute: one process per proof against a batch in one process",
        "",
        f"`{meta['command']}` by `{commit}`, {meta['date']}, {meta['cpus']} CPUs ({meta['platform']}). "
        f"1-minute load average {meta['loadavg_at_start']:.2f} when the run started (other work on the machine "
        "shows up as noise).",
        "",
        "*One process per proof*: `zkinfer prove DIR --input one.json --proof p.json` per sample, wall time of "
        "each process (start, reading settings, model, proving key and SRS, witness, proof, writing). *Batch*: one "
        "`zkinfer prove DIR --input all.json --proof-dir OUT` over the same samples, keys read once; *whole* is "
        "its wall time (load included), *steady* the proofs alone (what a running service sustains). "
        "Output error: max |proved - float| / max |float| against the float model (tract), largest over the "
        "samples; the same circuit proves both ways, so the error is the same for both. Each model: "
        f"{ROUNDS} rounds, the two ways alternating (order swapped each round); rates over all proofs of all rounds.",
        "",
        "| model | k | samples x rounds | device | per process: proofs/min | batch whole: proofs/min | batch steady: proofs/min "
        "| key load (once) ms | speed-up (whole) | output error |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['k']} | {r['n']} x {r['rounds']} | {r['device']} | {r['per_process_per_min']:.1f} | "
            f"{r['batch_per_min']:.1f} | {r['batch_steady_per_min']:.1f} | {max(r['batch_load_ms']):.1f} | "
            f"{r['batch_per_min'] / r['per_process_per_min']:.2f}x | {r['output_error_pct']:.3f}% |")
    open(os.path.join(res, "throughput.md"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
