#!/usr/bin/env python3
"""zkinfer against EZKL on the same ONNX models and inputs, alternating on one machine in one run.

Run it through bench/ezkl_compare.sh (it makes bench/.venv, builds zkinfer, then calls this):

    bash bench/ezkl_compare.sh                 side-by-side table + chart (bench/results/ezkl_side_by_side.*)
    bash bench/ezkl_compare.sh --sweep         the scaling sweep only (bench/results/scaling.*)
    bash bench/ezkl_compare.sh --all           both
    bash bench/ezkl_compare.sh --accuracy      output error against prove time (bench/accuracy_vs_time.py)

Every step of both tools runs as its own process; peak memory is that process's max RSS (wait4 rusage, as
/usr/bin/time reports it). zkinfer's times are whole-process wall times of its CLI (compile, setup,
prove, verify). EZKL's are taken inside its Python process around the ezkl calls, so interpreter start-up
and `import ezkl` are *not* charged to EZKL (the process wall time is kept in the JSON too). EZKL runs its
own pipeline: gen-settings, calibrate-settings (target resources), compile, SRS (generated locally),
setup, witness + prove, verify; zkinfer calibrates on the same samples. The tools alternate per model
(and which goes first alternates per repeat), so both see the same machine load. Output error is
max |proved - float| / max |float| against onnxruntime's float outputs for the same input.
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import report  # bench/report.py: tables and charts

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
WORK = os.path.join(HERE, "work")
RESULTS = os.path.join(HERE, "results")
# ZKINFER_BIN: a copy of the binary to measure (target/release/zkinfer is rebuilt by any cargo build in the tree)
ZKINFER = os.environ.get("ZKINFER_BIN") or os.path.join(REPO, "target", "release", "zkinfer")
GIB = 1 << 30
EZKL_RSS_LIMIT = 16 * GIB  # EZKL steps above this are killed (the machine has 24 GiB, shared)
EZKL_BYTES_PER_ROW = 11e3  # first guess of EZKL's prove memory per row, before one is measured

BUNDLED = [
    ("digits_mlp", "models/digits_mlp"),
    ("iris_mlp", "models/iris_mlp"),
    ("mlp_matmul_stack", "models/testdata/mlp_matmul_stack"),
    ("mlp_flatten_gemm", "models/testdata/mlp_flatten_gemm"),
]
GENERATED = ["mnist_mlp", "cnn_small", "lenet5"]
SWEEP_WIDTHS = [32, 128, 384, 1024]

EZKL_STEP = r'''
import asyncio, inspect, json, sys, time
t0 = time.perf_counter()
import ezkl
def run(x):
    return asyncio.run(x) if inspect.iscoroutine(x) else x
step, a = sys.argv[1], json.loads(sys.argv[2])
t = time.perf_counter()
if step == "settings":
    args = ezkl.PyRunArgs()
    args.input_visibility = "public"; args.output_visibility = "public"; args.param_visibility = "fixed"
    assert run(ezkl.gen_settings(a["model"], a["settings"], py_run_args=args))
    assert run(ezkl.calibrate_settings(a["calib"], a["model"], a["settings"], a.get("target", "resources")))
elif step == "compile":
    assert run(ezkl.compile_circuit(a["model"], a["compiled"], a["settings"]))
elif step == "srs":
    logrows = json.load(open(a["settings"]))["run_args"]["logrows"]
    assert run(ezkl.gen_srs(a["srs"], logrows)) is not False
elif step == "setup":
    assert run(ezkl.setup(a["compiled"], a["vk"], a["pk"], a["srs"]))
elif step == "prove":
    run(ezkl.gen_witness(a["input"], a["compiled"], a["witness"]))
    run(ezkl.prove(a["witness"], a["compiled"], a["pk"], a["proof"], a["srs"]))
elif step == "verify":
    assert run(ezkl.verify(a["proof"], a["settings"], a["vk"], a["srs"]))
print(json.dumps({"call_s": time.perf_counter() - t, "import_s": t - t0}))
'''


class StepFailed(Exception):
    pass


def timed(cmd, rss_limit=None):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak RSS bytes, stdout).

    The clock stops when os.wait4 reaps the child, so a step is timed to the microsecond, not to a polling
    interval. /usr/bin/time, not this Python process, forks the command: Linux carries the pre-exec RSS of the
    forking process into the child's max RSS, which would charge this runner's own memory to every step. With
    rss_limit, a watchdog thread polls the command's RSS (every 50 ms) and kills it above the limit; the
    watchdog never touches the clock."""
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    rss_file = tempfile.NamedTemporaryFile(delete=False)
    rss_file.close()
    start = time.perf_counter()
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + cmd, stdout=out, stderr=err, text=True)
    done = threading.Event()
    killed = threading.Event()

    def watchdog():
        while not done.wait(0.05):
            if sum(rss_bytes(c) for c in children(p.pid)) > rss_limit:
                killed.set()
                for c in children(p.pid):
                    try:
                        os.kill(c, 9)
                    except OSError:
                        pass

    guard = threading.Thread(target=watchdog, daemon=True) if rss_limit else None
    if guard:
        guard.start()
    _, status, _ = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    if guard:
        guard.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0), err.seek(0)
    stdout, stderr = out.read(), err.read()
    with open(rss_file.name) as f:
        lines = f.read().strip().splitlines()
    os.unlink(rss_file.name)
    if killed.is_set():
        raise StepFailed(f"killed above {rss_limit / GIB:.0f} GiB of memory")
    if p.returncode != 0:
        msg = [line for line in (stderr + stdout).splitlines() if line.strip() and "exited with non-zero" not in line]
        raise StepFailed(msg[-1] if msg else f"exit {p.returncode}")
    return wall, int(lines[-1]) * 1024, stdout


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def rss_bytes(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def flatten(v):
    if isinstance(v, list):
        return [x for e in v for x in flatten(e)]
    return [float(v)]


def zkinfer_run(src, work, compile_args=()):
    """compile (with `compile_args`, e.g. --target accuracy), setup, prove, verify, each a `zkinfer` process."""
    d, proof = os.path.join(work, "zk"), os.path.join(work, "zk_proof.json")
    r = {"steps": {}}
    steps = [
        ("compile", [ZKINFER, "compile", f"{src}/model.onnx", "--out", d, "--sample", f"{src}/calibration.json",
                     *compile_args]),
        ("setup", [ZKINFER, "setup", d]),
        ("prove", [ZKINFER, "prove", d, "--input", f"{src}/input.json", "--proof", proof]),
        ("verify", [ZKINFER, "verify", d, "--proof", proof, "--allow-dev-srs"]),  # dev SRS, as EZKL's local one
    ]
    for name, cmd in steps:
        try:
            wall, rss, _ = timed(cmd)
        except StepFailed as e:
            r["error"] = f"{name}: {e}"
            if name == "compile" and "unsupported" in str(e).lower():
                r["unsupported"] = str(e)
            return r
        r["steps"][name] = {"s": wall, "peak_bytes": rss}
    p = json.load(open(proof))
    r["proof_bytes"] = len(p["proof"]) // 2
    r["logrows"] = json.load(open(os.path.join(d, "settings.json")))["k"]
    r["outputs"] = flatten(p["outputs"][0])
    return r


def ezkl_run(src, work, guard, target="resources", settings_cache=None):
    """EZKL's own pipeline, one process per step, calibrated for `target` (resources or accuracy); `guard` may
    veto setup/prove for memory or time. With `settings_cache` (a path), the calibrated settings are read from
    there when present (the step is then not run: r["settings_cached"]) and written there otherwise."""
    a = {k: os.path.join(work, v) for k, v in dict(settings="settings.json", compiled="network.ezkl", srs="kzg.srs",
                                                   vk="vk.key", pk="pk.key", witness="witness.json",
                                                   proof="proof.json").items()}
    a.update(model=f"{src}/model.onnx", input=f"{src}/input.json", calib=f"{src}/calibration.json", target=target)
    r = {"steps": {}}
    for name in ("settings", "compile", "srs", "setup", "prove", "verify"):
        if name == "settings" and settings_cache and os.path.exists(settings_cache):
            shutil.copyfile(settings_cache, a["settings"])
            r["settings_cached"] = True
            continue
        if name == "compile" and settings_cache and not r.get("settings_cached"):
            shutil.copyfile(a["settings"], settings_cache)
        if name == "srs":
            s = json.load(open(a["settings"]))
            r["logrows"] = s["run_args"]["logrows"]
            veto = guard(r["logrows"])
            if veto:
                r["skipped"] = veto
                return r
        if name == "srs":  # EZKL's SRS depends only on logrows: generate once per size, reuse (and say so)
            a["srs"] = os.path.join(WORK, "ezkl_srs", f"kzg{r['logrows']}.srs")
            if os.path.exists(a["srs"]):
                r["srs_cached"] = True
                continue
            os.makedirs(os.path.dirname(a["srs"]), exist_ok=True)
        try:
            wall, rss, out = timed([sys.executable, "-c", EZKL_STEP, name, json.dumps(a)], EZKL_RSS_LIMIT)
        except StepFailed as e:
            r["error"] = f"{name}: {e}"
            return r
        inner = json.loads(out.strip().splitlines()[-1])
        r["steps"][name] = {"s": inner["call_s"], "process_s": wall, "peak_bytes": rss}
    p = json.load(open(a["proof"]))
    proof_hex = p.get("hex_proof") or ""
    r["proof_bytes"] = len(proof_hex[2:]) // 2 if proof_hex else len(p.get("proof", []))
    w = json.load(open(a["witness"]))
    r["outputs"] = [float(x) for x in flatten(w["pretty_elements"]["rescaled_outputs"][0])]
    return r


def reference(src):
    """onnxruntime's float outputs on the model's input.json."""
    import numpy as np
    import onnxruntime as ort
    sess = ort.InferenceSession(f"{src}/model.onnx", providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.array(json.load(open(f"{src}/input.json"))["input_data"][0], dtype=np.float32)
    return flatten(sess.run(None, {inp.name: x.reshape([d if isinstance(d, int) else 1 for d in inp.shape])})[0].tolist())


def rel_err(out, ref):
    if not out or not ref:
        return None
    mag = max(abs(x) for x in ref) or 1.0
    return max(abs(a - b) for a, b in zip(out, ref)) / mag


def zkinfer_bench(src, work):
    """`zkinfer bench` for the per-phase split (also warms zkinfer's SRS cache before the timed runs)."""
    j = os.path.join(work, "bench.json")
    try:
        timed([ZKINFER, "bench", f"{src}/model.onnx", "--input", f"{src}/input.json", "--sample",
               f"{src}/calibration.json", "--repeat", "3", "--json", j])
    except StepFailed as e:
        return {"error": str(e)}
    return json.load(open(j))


class Guard:
    """Skips EZKL steps predicted to need more than 16 GB or more than max_s seconds to prove, scaling the
    largest per-row memory and time measured so far in this run."""

    def __init__(self, max_s):
        self.max_s, self.bytes_per_row, self.s_per_row = max_s, EZKL_BYTES_PER_ROW, None

    def learn(self, r):
        st = r.get("steps", {})
        if "prove" in st and "logrows" in r:
            n = 2 ** r["logrows"]
            peak = max(s["peak_bytes"] for s in st.values())
            self.bytes_per_row = max(self.bytes_per_row if self.s_per_row else 0, peak / n)
            self.s_per_row = max(self.s_per_row or 0, max(st["setup"]["s"], st["prove"]["s"]) / n)

    def __call__(self, logrows):
        n = 2 ** logrows
        mem = self.bytes_per_row * n
        if mem > EZKL_RSS_LIMIT:
            return f"logrows {logrows}: estimated {mem / 1e9:.0f} GB > 16 GB, not run"
        if self.s_per_row and self.s_per_row * n > self.max_s:
            return f"logrows {logrows}: estimated {self.s_per_row * n:.0f} s per step > {self.max_s:.0f} s, not run"
        return None


def compare(src, repeat, guard, bench=True):
    ref = reference(src)
    row = {"meta": model_meta(src)}
    if bench:
        b = zkinfer_bench(src, tempfile.mkdtemp(prefix="cmp-bench-"))
        row["zkinfer_bench"] = b
    runs = {"zkinfer": [], "ezkl": []}
    for i in range(repeat):
        order = [("zkinfer", zkinfer_run), ("ezkl", lambda s, w: ezkl_run(s, w, guard))]
        for tool, fn in (order if i % 2 == 0 else order[::-1]):
            work = tempfile.mkdtemp(prefix=f"cmp-{tool}-")
            try:
                r = fn(src, work)
                if tool == "ezkl":
                    guard.learn(r)
                runs[tool].append(r)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    for tool, rs in runs.items():
        ok = [r for r in rs if "prove" in r["steps"]]
        if ok:
            ok.sort(key=lambda r: r["steps"]["prove"]["s"])
            med = dict(ok[len(ok) // 2])
        else:
            med = dict(rs[0])
        med["output_rel_err"] = rel_err(med.pop("outputs", None), ref)
        med["runs"] = len(ok)
        row[tool] = med
    z, e = row["zkinfer"].get("steps", {}), row["ezkl"].get("steps", {})
    if "prove" in z and "prove" in e:
        row["prove_speedup"] = e["prove"]["s"] / z["prove"]["s"]
        row["setup_speedup"] = e["setup"]["s"] / z["setup"]["s"]
        row["memory_ratio"] = e["prove"]["peak_bytes"] / z["prove"]["peak_bytes"]
    return row


def model_meta(src):
    p = os.path.join(src, "meta.json")
    m = json.load(open(p)) if os.path.exists(p) else {}
    if "macs" not in m:
        m.update(report.onnx_macs(f"{src}/model.onnx"))
    return {k: m.get(k) for k in ("macs", "params", "ops")}


def machine():
    mem = None
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    cpu = platform.processor()
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import ezkl
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    # the binary measured says what it was built from (the checkout may have moved since it was built)
    version = subprocess.run([ZKINFER, "--version"], capture_output=True, text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / GIB, 1) if mem else None,
            "platform": platform.platform(), "ezkl": getattr(ezkl, "__version__", "23.0.5"),
            "zkinfer_commit": commit, "zkinfer_version": version, "loadavg": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def gen_models(names_or_widths, sweep=False):
    out = os.path.join(WORK, "models")
    for x in names_or_widths:
        d = os.path.join(out, f"mlp_w{x}" if sweep else x)
        if not os.path.exists(os.path.join(d, "meta.json")):
            cmd = [sys.executable, os.path.join(HERE, "models.py"), out] + (["--sweep", str(x)] if sweep else [])
            subprocess.run(cmd, check=True)
    return out


def side_by_side(args, guard):
    gen = gen_models(GENERATED)
    models = [(n, os.path.join(REPO, p)) for n, p in BUNDLED] + [(n, os.path.join(gen, n)) for n in GENERATED]
    if args.models:
        models = [m for m in models if m[0] in args.models.split(",")]
    rows = []
    for name, src in models:
        row = compare(src, args.repeat, guard)
        row["model"] = name
        rows.append(row)
        print(report.row_line(row), flush=True)
    out = {"machine": machine(), "command": args.command, "repeat": args.repeat, "rows": rows}
    prev_path = os.path.join(RESULTS, "ezkl_side_by_side.json")
    if args.models and os.path.exists(prev_path):
        # a subset rerun replaces those models' rows and keeps the others (with the run they came from)
        with open(prev_path) as f:
            prev = json.load(f)
        fresh = {r["model"]: r for r in rows}
        merged = [fresh.pop(r["model"], r) for r in prev.get("rows", [])] + list(fresh.values())
        out["rows"] = merged
        out["command"] = f"{prev.get('command', '')}; then {args.command}"
    report.write_side_by_side(out, RESULTS)


def sweep(args, guard):
    widths = [int(w) for w in args.widths.split(",")] if args.widths else SWEEP_WIDTHS
    gen = gen_models(widths, sweep=True)
    rows = []
    for w in widths:
        row = compare(os.path.join(gen, f"mlp_w{w}"), 1, guard)
        row["model"], row["width"] = f"mlp_w{w}", w
        rows.append(row)
        print(report.row_line(row), flush=True)
        out = {"machine": machine(), "command": args.command, "rows": rows}
        report.write_scaling(out, RESULTS)  # after every step: a stopped sweep keeps what it measured


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool and model (median reported)")
    ap.add_argument("--models", help="comma-separated subset of the side-by-side models")
    ap.add_argument("--sweep", action="store_true", help="run the scaling sweep instead of the side-by-side")
    ap.add_argument("--all", action="store_true", help="side-by-side, then the sweep")
    ap.add_argument("--accuracy", action="store_true",
                    help="output error against prove time at each tool's precision settings (accuracy_vs_time.*)")
    ap.add_argument("--widths", help=f"sweep widths (default {','.join(map(str, SWEEP_WIDTHS))})")
    ap.add_argument("--ezkl-max-step-s", type=float, default=600.0,
                    help="skip EZKL setup/prove predicted to take longer than this")
    ap.add_argument("--redraw", action="store_true", help="only redraw tables and charts from the JSON results")
    args = ap.parse_args()
    args.command = "bash bench/ezkl_compare.sh " + " ".join(sys.argv[1:])
    if args.redraw:
        report.redraw(RESULTS)
        return
    guard = Guard(args.ezkl_max_step_s)
    if args.accuracy:
        import accuracy_vs_time
        accuracy_vs_time.run(args, guard)
        return
    if not args.sweep or args.all:
        side_by_side(args, guard)
    if args.sweep or args.all:
        sweep(args, guard)


if __name__ == "__main__":
    main()
