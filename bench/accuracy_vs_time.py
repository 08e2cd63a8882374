#!/usr/bin/env python3
"""Output error against prove time, zkinfer and EZKL, each tool at each of its precision settings.

    bash bench/ezkl_compare.sh --accuracy [--models a,b] [--repeat N]

Points per model, in one alternating run on one machine:
- zkinfer: `--target resources` (the default), `--target accuracy`, and the default target with `--logrows`
  one and two above the default k (wider lookup tables in the extra rows);
- EZKL: calibrate-settings with target `resources` (its default) and `accuracy`.
Each point is one pipeline run (compile, setup, prove, verify; prove time is the median over --repeat runs);
output error is max |proved - float| / max |float| against onnxruntime on the same input.
Writes bench/results/accuracy_vs_time.{json,md,svg}.
"""
import json
import os
import shutil
import tempfile

import ezkl_compare as cmp
import report


def zk_variants(default_k):
    return [("resources", []), ("accuracy", ["--target", "accuracy"]),
            (f"logrows {default_k + 1}", ["--logrows", str(default_k + 1)]),
            (f"logrows {default_k + 2}", ["--logrows", str(default_k + 2)])]


def median_run(fn, repeat):
    runs = []
    for _ in range(repeat):
        work = tempfile.mkdtemp(prefix="acc-")
        try:
            runs.append(fn(work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    ok = sorted((r for r in runs if "prove" in r.get("steps", {})), key=lambda r: r["steps"]["prove"]["s"])
    return ok[len(ok) // 2] if ok else runs[0]


def point(tool, setting, r, ref):
    p = {"tool": tool, "setting": setting, "logrows": r.get("logrows")}
    if "prove" not in r.get("steps", {}):
        p["status"] = report.status(r) or "failed"
        return p
    p.update(prove_s=r["steps"]["prove"]["s"], peak_bytes=r["steps"]["prove"]["peak_bytes"],
             output_rel_err=cmp.rel_err(r.get("outputs"), ref))
    return p


def measure(src, repeat, guard):
    ref = cmp.reference(src)
    points = []
    first = median_run(lambda w: cmp.zkinfer_run(src, w), repeat)
    points.append(point("zkinfer", "resources", first, ref))
    ezkl_targets = ["resources", "accuracy"]
    for i, (name, args) in enumerate(zk_variants(first.get("logrows") or 12)[1:]):
        # alternate the tools so both see the same machine load
        if i < len(ezkl_targets):
            t = ezkl_targets[i]
            r = median_run(lambda w: cmp.ezkl_run(src, w, guard, t), repeat)
            guard.learn(r)
            points.append(point("ezkl", t, r, ref))
        points.append(point("zkinfer", name, median_run(lambda w: cmp.zkinfer_run(src, w, args), repeat), ref))
    return points


def bound(points):
    """The goal's bound: max(2 x EZKL's best error, 0.2% of the largest output)."""
    errs = [p["output_rel_err"] for p in points if p["tool"] == "ezkl" and p.get("output_rel_err") is not None]
    return max(2 * min(errs), 0.002) if errs else 0.002


def md(out):
    L = ["# Output error against prove time, each tool at each precision setting\n", report.machine_line(out),
         "\nError: max |proved - float| / max |float| against onnxruntime on the same input. *Bound*: the goal "
         "max(2 x EZKL's best error, 0.2% of the largest output). *Speed-up*: EZKL's faster setting's prove time "
         "(resources) over this zkinfer setting's.\n",
         "| model | tool | setting | logrows | prove s | prove peak MB | output error | within bound | speed-up vs EZKL resources |",
         "|---|---|---|---|---|---|---|---|---|"]
    for m in out["models"]:
        b = bound(m["points"])
        ez = next((p for p in m["points"] if p["tool"] == "ezkl" and p["setting"] == "resources" and "prove_s" in p), None)
        for p in m["points"]:
            if "prove_s" not in p:
                L.append(f"| {m['model']} | {p['tool']} | {p['setting']} | {p.get('logrows') or '-'} | {p['status']} | | | | |")
                continue
            err = p.get("output_rel_err")
            ok = "-" if err is None else ("yes" if err <= b else "no")
            sp = f"{ez['prove_s'] / p['prove_s']:.1f}x" if ez and p["tool"] == "zkinfer" else ""
            L.append(f"| {m['model']} | {p['tool']} | {p['setting']} | {p['logrows']} | {p['prove_s']:.2f} | "
                     f"{p['peak_bytes'] / report.MB:.0f} | {report.fmt(err, '{:.3%}')} | {ok} (bound {b:.2%}) | {sp} |")
    L.append("\n![output error against prove time](accuracy_vs_time.svg)\n")
    return "\n".join(L) + "\n"


def chart(out, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    models = out["models"]
    cols = min(4, len(models)) or 1
    rows = (len(models) + cols - 1) // cols or 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.2 * rows), squeeze=False)
    for ax, m in zip([a for r in axes for a in r], models):
        for tool, color, marker in (("zkinfer", "#1f77b4", "o"), ("ezkl", "#ff7f0e", "s")):
            pts = [p for p in m["points"] if p["tool"] == tool and "prove_s" in p and p.get("output_rel_err") is not None]
            ax.scatter([p["prove_s"] for p in pts], [max(p["output_rel_err"], 1e-5) for p in pts], color=color,
                       marker=marker, label="zkinfer" if tool == "zkinfer" else "EZKL")
            for p in pts:
                ax.annotate(p["setting"], (p["prove_s"], max(p["output_rel_err"], 1e-5)), fontsize=6,
                            textcoords="offset points", xytext=(3, 3), color=color)
        ax.axhline(bound(m["points"]), color="#888", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(m["model"], fontsize=9)
        ax.set_xlabel("prove s", fontsize=8)
        ax.set_ylabel("output error", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, which="both", alpha=0.25)
    for ax in [a for r in axes for a in r][len(models):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=7)
    m = out["machine"]
    fig.suptitle(f"Output error against prove time (dotted: the goal's bound); EZKL {m['ezkl']}, {m['nproc']} CPUs, "
                 "shared machine", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def run(args, guard):
    gen = cmp.gen_models(cmp.GENERATED)
    models = [(n, os.path.join(cmp.REPO, p)) for n, p in cmp.BUNDLED] + [(n, os.path.join(gen, n)) for n in cmp.GENERATED]
    if args.models:
        models = [m for m in models if m[0] in args.models.split(",")]
    out = {"machine": cmp.machine(), "command": args.command, "repeat": args.repeat, "models": []}
    for name, src in models:
        out["models"].append({"model": name, "points": measure(src, args.repeat, guard)})
        print(name, json.dumps(out["models"][-1]["points"]), flush=True)
        write(out)  # after every model: a stopped run keeps what it measured


def write(out):
    os.makedirs(cmp.RESULTS, exist_ok=True)
    with open(os.path.join(cmp.RESULTS, "accuracy_vs_time.json"), "w") as f:
        json.dump(out, f, indent=1)
    with open(os.path.join(cmp.RESULTS, "accuracy_vs_time.md"), "w") as f:
        f.write(md(out))
    chart(out, os.path.join(cmp.RESULTS, "accuracy_vs_time.svg"))
