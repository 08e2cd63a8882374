#!/usr/bin/env python3
"""zkinfer against EZKL on the same ONNX models and inputs, alternating on one machine in one run.

Every step of both tools runs as its own process under /usr/bin/time, so wall time and peak memory (max RSS)
are measured the same way. EZKL runs its own pipeline: gen-settings, calibrate-settings (target resources),
compile, SRS (generated locally: this machine has no network), setup, witness, prove, verify. zkinfer runs
compile (with the same calibration samples), setup, prove, verify. Output error: the max absolute difference
between each tool's proved outputs and the float model's outputs (onnxruntime for the test models, the
recorded expected.json; EZKL's own float pass otherwise), relative to the output magnitude.

Writes bench/results/ezkl_side_by_side.{json,md}.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ZKINFER = os.path.join(REPO, "target", "release", "zkinfer")
MODELS = [
    ("digits_mlp", "models/digits_mlp"),
    ("iris_mlp", "models/iris_mlp"),
    ("mlp_matmul_stack", "models/testdata/mlp_matmul_stack"),
    ("mlp_flatten_gemm", "models/testdata/mlp_flatten_gemm"),
]

EZKL_STEP = r'''
import asyncio, inspect, json, sys
import ezkl
def run(x):
    return asyncio.run(x) if inspect.iscoroutine(x) else x
step, a = sys.argv[1], json.loads(sys.argv[2])
if step == "settings":
    args = ezkl.PyRunArgs()
    args.input_visibility = "public"; args.output_visibility = "public"; args.param_visibility = "fixed"
    assert run(ezkl.gen_settings(a["model"], a["settings"], py_run_args=args))
    assert run(ezkl.calibrate_settings(a["calib"], a["model"], a["settings"], "resources"))
    assert run(ezkl.compile_circuit(a["model"], a["compiled"], a["settings"]))
    logrows = json.load(open(a["settings"]))["run_args"]["logrows"]
    assert run(ezkl.gen_srs(a["srs"], logrows)) is not False
elif step == "setup":
    assert run(ezkl.setup(a["compiled"], a["vk"], a["pk"], a["srs"]))
elif step == "prove":
    run(ezkl.gen_witness(a["input"], a["compiled"], a["witness"]))
    run(ezkl.prove(a["witness"], a["compiled"], a["pk"], a["proof"], a["srs"]))
elif step == "verify":
    assert run(ezkl.verify(a["proof"], a["settings"], a["vk"], a["srs"]))
'''


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (seconds, peak_rss_mb, stdout)."""
    t = tempfile.NamedTemporaryFile(delete=False)
    t.close()
    start = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name] + cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    with open(t.name) as f:
        rss_kb = int(f.read().strip().splitlines()[-1])
    os.unlink(t.name)
    return wall, rss_kb / 1024.0, p.stdout


def zkinfer_run(src, work):
    d = os.path.join(work, "zk")
    r = {}
    calib = os.path.join(src, "calibration.json")
    r["compile_s"], m1, _ = timed([ZKINFER, "compile", os.path.join(src, "model.onnx"), "--out", d, "--sample", calib])
    r["setup_s"], m2, _ = timed([ZKINFER, "setup", d])
    proof = os.path.join(work, "zk_proof.json")
    r["prove_s"], m3, out = timed([ZKINFER, "prove", d, "--input", os.path.join(src, "input.json"), "--proof", proof])
    r["verify_s"], m4, _ = timed([ZKINFER, "verify", d, "--proof", proof])
    p = json.load(open(proof))
    r["proof_bytes"] = len(p["proof"]) // 2
    r["peak_mb"] = max(m1, m2, m3, m4)
    r["prove_peak_mb"] = m3
    r["logrows"] = json.load(open(os.path.join(d, "settings.json")))["k"]
    r["outputs"] = flatten(p["outputs"][0])
    return r


def ezkl_run(src, work):
    py = sys.executable
    a = {k: os.path.join(work, v) for k, v in dict(settings="settings.json", compiled="network.ezkl", srs="kzg.srs",
                                                   vk="vk.key", pk="pk.key", witness="witness.json",
                                                   proof="proof.json").items()}
    a["model"] = os.path.join(src, "model.onnx")
    a["input"] = os.path.join(src, "input.json")
    a["calib"] = os.path.join(src, "calibration.json")
    step = lambda s: timed([py, "-c", EZKL_STEP, s, json.dumps(a)])  # noqa: E731
    r = {}
    r["compile_s"], m1, _ = step("settings")
    r["setup_s"], m2, _ = step("setup")
    r["prove_s"], m3, _ = step("prove")
    r["verify_s"], m4, _ = step("verify")
    p = json.load(open(a["proof"]))
    proof_hex = p.get("hex_proof") or ""
    r["proof_bytes"] = len(proof_hex[2:]) // 2 if proof_hex else len(p.get("proof", []))
    r["peak_mb"] = max(m1, m2, m3, m4)
    r["prove_peak_mb"] = m3
    r["logrows"] = json.load(open(a["settings"]))["run_args"]["logrows"]
    w = json.load(open(a["witness"]))
    r["outputs"] = [float(x) for x in flatten(w["pretty_elements"]["rescaled_outputs"][0])]
    return r


def flatten(v):
    if isinstance(v, list):
        return [x for e in v for x in flatten(e)]
    return [float(v)]


def reference(src):
    exp = os.path.join(src, "expected.json")
    if os.path.exists(exp):
        return json.load(open(exp))["outputs"][0]
    meta = json.load(open(os.path.join(src, "meta.json")))
    return meta.get("onnxruntime_logits")


def rel_err(out, ref):
    if not ref:
        return None
    mag = max(abs(x) for x in ref) or 1.0
    return max(abs(a - b) for a, b in zip(out, ref)) / mag


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool and model (median reported)")
    args = ap.parse_args()
    import ezkl  # noqa: F401  (fail early if missing)
    rows = []
    for name, rel in MODELS:
        src = os.path.join(REPO, rel)
        runs = {"zkinfer": [], "ezkl": []}
        for _ in range(args.repeat):
            for tool, fn in (("zkinfer", zkinfer_run), ("ezkl", ezkl_run)):  # alternate tools
                work = tempfile.mkdtemp(prefix=f"cmp-{tool}-")
                try:
                    runs[tool].append(fn(src, work))
                finally:
                    shutil.rmtree(work, ignore_errors=True)
        ref = reference(src)
        row = {"model": name}
        for tool, rs in runs.items():
            rs.sort(key=lambda r: r["prove_s"])
            med = rs[len(rs) // 2]
            med["output_rel_err"] = rel_err(med.pop("outputs"), ref)
            row[tool] = med
        row["prove_speedup"] = row["ezkl"]["prove_s"] / row["zkinfer"]["prove_s"]
        row["memory_ratio"] = row["ezkl"]["prove_peak_mb"] / row["zkinfer"]["prove_peak_mb"]
        rows.append(row)
        print(f"{name}: zkinfer prove {row['zkinfer']['prove_s']:.2f}s (k={row['zkinfer']['logrows']}), "
              f"ezkl prove {row['ezkl']['prove_s']:.2f}s (logrows {row['ezkl']['logrows']}), "
              f"speedup {row['prove_speedup']:.1f}x", flush=True)
    machine = {"cpus": os.cpu_count(), "platform": platform.platform(), "cpu": cpu_model(),
               "ezkl": __import__("ezkl").__version__ if hasattr(__import__("ezkl"), "__version__") else "23.0.5"}
    cmd = "bash bench/ezkl_compare.sh" + (f" --repeat {args.repeat}" if args.repeat != 1 else "")
    out = {"machine": machine, "command": cmd, "rows": rows}
    with open(os.path.join(HERE, "results", "ezkl_side_by_side.json"), "w") as f:
        json.dump(out, f, indent=1)
    with open(os.path.join(HERE, "results", "ezkl_side_by_side.md"), "w") as f:
        f.write(markdown(out))
    print(markdown(out))


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def markdown(out):
    m = out["machine"]
    lines = [f"# zkinfer vs EZKL, side by side\n",
             f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['platform']}; EZKL {m['ezkl']}. Command: `{out['command']}`.\n",
             "Wall times per step as separate processes (median of the runs); peak memory is the prove step's max RSS;"
             " output error is max |proved - float| / max |float| (onnxruntime reference).\n",
             "| model | tool | logrows | compile s | setup s | prove s | verify s | proof bytes | prove peak MB | output error |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in out["rows"]:
        for tool in ("zkinfer", "ezkl"):
            t = r[tool]
            err = "-" if t["output_rel_err"] is None else f"{100 * t['output_rel_err']:.2f}%"
            lines.append(f"| {r['model']} | {tool} | {t['logrows']} | {t['compile_s']:.2f} | {t['setup_s']:.2f} | "
                         f"{t['prove_s']:.2f} | {t['verify_s']:.3f} | {t['proof_bytes']} | {t['prove_peak_mb']:.0f} | {err} |")
        lines.append(f"| {r['model']} | **ratio** | | | | **{r['prove_speedup']:.1f}x faster** | | | "
                     f"**{r['memory_ratio']:.1f}x less** | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
