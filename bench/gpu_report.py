#!/usr/bin/env python3
"""bench/results/gpu.{json,md,svg} from the raw `zkinfer bench --json` reports scripts/gpu-bench.sh collects.

Standard library only: the GPU machine may have nothing but python3.
Usage: python3 bench/gpu_report.py RAW_DIR RESULTS_DIR
"""
import glob
import json
import os
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def stage_ms(r, name):
    for s in r.get("stages", []):
        if s["name"] == name:
            return s["median_ms"]
    return None


def row(r):
    if "skipped" in r:
        return {"skipped": r["skipped"], "device": r.get("device"), "model": r.get("model"), "k": r.get("k")}
    acc = r.get("accuracy", {})
    err = acc.get("max_abs_error")
    top = acc.get("max_abs_output") or 0
    return {
        "model": os.path.basename(os.path.dirname(r["model"])) or r["model"],
        "device": r["device"],
        "k": r["circuit"]["k"],
        "rows_used": r["circuit"]["rows_used"],
        "lookup_bits": r["circuit"]["lookup_bits"],
        "repeat": r["repeat"],
        "keygen_pk_ms": stage_ms(r, "keygen_pk"),
        "witness_ms": stage_ms(r, "witness"),
        "prove_ms": stage_ms(r, "prove"),
        "verify_ms": stage_ms(r, "verify"),
        "proofs_per_minute": r.get("proofs_per_minute"),
        "peak_memory_bytes": r.get("peak_memory_bytes"),
        "output_error_rel": (err / top) if (err is not None and top) else None,
        "verified": r.get("verified"),
    }


def fmt(v, spec="{:.1f}"):
    return "-" if v is None else spec.format(v)


def table(rows, key_cols):
    head = key_cols + ["k", "prove ms (median)", "witness ms", "keygen_pk ms", "proofs/min", "peak MB",
                       "output error", "verified"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        keys = [str(r.get(c.split()[0]) if r.get(c.split()[0]) is not None else "-") for c in key_cols]
        if "skipped" in r:
            out.append("| " + " | ".join(keys) + f" | {fmt(r.get('k'), '{}')} | skipped: {r['skipped']} |" +
                       " |" * (len(head) - len(key_cols) - 2))
            continue
        mb = r["peak_memory_bytes"] / 1e6 if r["peak_memory_bytes"] else None
        out.append("| " + " | ".join(keys + [
            str(r["k"]), fmt(r["prove_ms"]), fmt(r["witness_ms"]), fmt(r["keygen_pk_ms"]),
            fmt(r["proofs_per_minute"]), fmt(mb, "{:.0f}"),
            fmt(None if r["output_error_rel"] is None else 100 * r["output_error_rel"], "{:.2f}%"),
            str(r["verified"])]) + " |")
    return "\n".join(out)


def svg(sweep):
    """Prove time (log scale) against k, one line per device."""
    w, h, pad = 640, 360, 56
    pts = [r for r in sweep if "skipped" not in r and r["prove_ms"]]
    if not pts:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="60"><text x="10" y="30">no sweep points</text></svg>\n'
    import math
    ks = sorted({r["k"] for r in pts})
    lo = math.floor(math.log10(min(r["prove_ms"] for r in pts)))
    hi = math.ceil(math.log10(max(r["prove_ms"] for r in pts)))
    hi = max(hi, lo + 1)
    kmin, kmax = ks[0], max(ks[-1], ks[0] + 1)
    x = lambda k: pad + (k - kmin) * (w - 2 * pad) / (kmax - kmin)
    y = lambda ms: h - pad - (math.log10(ms) - lo) * (h - 2 * pad) / (hi - lo)
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<text x="{w / 2}" y="18" text-anchor="middle">zkinfer prove time against circuit size (log scale)</text>',
         f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="black"/>',
         f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="black"/>']
    for k in range(kmin, kmax + 1):
        s.append(f'<text x="{x(k):.1f}" y="{h - pad + 16}" text-anchor="middle">{k}</text>')
    for e in range(lo, hi + 1):
        label = f"{10 ** e / 1000:g} s" if e >= 3 else f"{10 ** e:g} ms"
        s.append(f'<text x="{pad - 6}" y="{y(10 ** e) + 4:.1f}" text-anchor="end">{label}</text>')
        s.append(f'<line x1="{pad}" y1="{y(10 ** e):.1f}" x2="{w - pad}" y2="{y(10 ** e):.1f}" stroke="#ddd"/>')
    s.append(f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">logrows k (2^k rows)</text>')
    colours = {"cuda": "#2a7", "cpu": "#c43"}
    for i, dev in enumerate(sorted({r["device"] for r in pts})):
        line = sorted((r["k"], r["prove_ms"]) for r in pts if r["device"] == dev)
        c = colours.get(dev, "#555")
        s.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' %
                 (c, " ".join(f"{x(k):.1f},{y(ms):.1f}" for k, ms in line)))
        for k, ms in line:
            s.append(f'<circle cx="{x(k):.1f}" cy="{y(ms):.1f}" r="3" fill="{c}"/>')
        s.append(f'<text x="{w - pad - 60}" y="{pad + 16 * i}" fill="{c}">{dev}</text>')
    s.append("</svg>")
    return "\n".join(s) + "\n"


def resident_row(r):
    n = r["n"]
    fresh, each = sum(r["fresh_s"]), sum(r["batch_each_ms"]) / 1e3
    return {"device": r["device"], "model": r["model"], "proofs": n,
            "fresh_per_proof_ms": fresh * 1e3 / n, "resident_per_proof_ms": each * 1e3 / n,
            "fresh_proofs_per_min": n * 60 / fresh, "resident_proofs_per_min": n * 60 / r["batch_wall_s"],
            "resident_steady_proofs_per_min": n * 60 / each, "startup_and_key_ms": r["batch_load_ms"]}


def resident_table(rows):
    out = ["| device | model | proofs | fresh process per proof: ms/proof | resident: ms/proof | fresh: proofs/min "
           "| resident (whole batch): proofs/min | resident (steady): proofs/min | start + key read ms (once) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['device']} | {r['model']} | {r['proofs']} | {fmt(r['fresh_per_proof_ms'])} | "
                   f"{fmt(r['resident_per_proof_ms'])} | {fmt(r['fresh_proofs_per_min'])} | "
                   f"{fmt(r['resident_proofs_per_min'])} | {fmt(r['resident_steady_proofs_per_min'])} | "
                   f"{fmt(r['startup_and_key_ms'])} |")
    return "\n".join(out)


def main(raw, results):
    machine = load(os.path.join(raw, "machine.json"))
    checks_path = os.path.join(raw, "checks.txt")
    checks = open(checks_path).read().strip().splitlines() if os.path.exists(checks_path) else []
    models = [row(load(p)) for p in sorted(glob.glob(os.path.join(raw, "model-*.json")))]
    sweep = [row(load(p)) for p in sorted(glob.glob(os.path.join(raw, "sweep-*.json")),
                                           key=lambda p: (int(p.split("-")[-2]), p))]
    resident = [resident_row(load(p)) for p in sorted(glob.glob(os.path.join(raw, "resident-*.json")))]
    out = {"version": 1, "machine": machine, "checks": checks, "resident": resident, "models": models,
           "sweep": sweep}
    os.makedirs(results, exist_ok=True)
    with open(os.path.join(results, "gpu.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    with open(os.path.join(results, "gpu.svg"), "w") as f:
        f.write(svg(sweep))
    md = ["# zkinfer on a GPU", "",
          f"Machine: GPU {machine.get('gpu')}, {machine.get('cpus')} CPUs. One run of `bash scripts/gpu-bench.sh`; "
          "times are medians of `zkinfer bench` (keys in memory; the GPU worker process is started per proof and "
          "its time is included). The CPU rows are this machine's CPU path, measured in the same run.", "",
          "## Checks", ""] + [f"- {c}" for c in checks] + [
          "", "## Many proofs: a fresh worker per proof against the resident worker", "",
          "*Fresh*: one `zkinfer prove --proof` process per proof (for cuda: a new `zkinfer-cuda` worker each "
          "time: process start, CUDA context, key and SRS upload). *Resident*: one `zkinfer prove --proof-dir` over "
          "the same samples; for cuda one `zkinfer-cuda serve` worker keeps the CUDA context, the proving key and "
          "the device SRS between proofs. Whole batch includes reading the keys once; steady is the proofs alone.",
          "", resident_table(resident) if resident else "(not measured)", "",
          "## Bundled models", "", table(models, ["model", "device"]), "",
          "## Circuit-size sweep (digits_cnn pinned to 2^k rows with `--logrows k`)", "",
          table(sweep, ["device"]), "", "![prove time against k](gpu.svg)", ""]
    with open(os.path.join(results, "gpu.md"), "w") as f:
        f.write("\n".join(md))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
